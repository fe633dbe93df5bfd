"""``codexglue_line_py150`` / ``codexglue_line_javacorpus``: complete the next line, CodeXGLUE's definition.

The model sees the file prefix (detokenized unless ``cxg_prompt_format=tokens``); its output is re-tokenized into
CodeXGLUE tokens and cut at the line end of the document's :class:`~codeeff.formats.codexglue_lines.LineRule` before
scoring. Generation does not stop at a newline (only at ``<EOL>`` in token format); it runs to ``max_gen_toks``
and is cut afterwards. Python: after a context that ends a line, blank and comment lines the model writes first
carry no code token and are skipped (a stop at ``\n`` would have emptied the answer); after a context that ends
mid-line, a leading line break ends the line. Java: a line ends at ``;``/``}`` (or before ``{``), which raw code
may place after a line break (status ``no_line_end`` when no line end came within the budget).
"""

from __future__ import annotations

from typing import Any

from codeeff.formats.codexglue_lines import cut_line, rule_for
from codeeff.formats.codexglue_rows import SourceConfig, load_line_rows
from codeeff.metrics.cost import sample_cost_metrics
from codeeff.provenance import record_dataset
from codeeff.tasks.codexglue import scoring, text


def load(task: str, language: str, **metadata: Any) -> dict[str, Any]:
    """lm-eval ``custom_dataset``: ``{"test": Dataset}`` of line-completion documents (see docs/completion.md)."""
    import datasets

    config = SourceConfig.from_metadata(metadata)
    fmt = text.prompt_format(metadata)
    rule = rule_for(language, config.source, metadata.get("cxg_line_rule"))
    rows, origin = load_line_rows(config, language, rule)
    text.register_literals(language, config.data_dir)
    docs = [
        {
            "id": row.id,
            "language": language,
            "source": origin.source,
            "line_rule": rule.value,
            "prompt_format": fmt,
            "context": row.input,
            "reference": row.gt,
        }
        for row in rows
    ]
    record_dataset(task, **origin.as_record(), line_rule=rule.value, prompt_format=fmt)
    return {"test": datasets.Dataset.from_list(docs)}


def predicted_line(response: str, doc: dict[str, Any]) -> tuple[list[str], str]:
    """The first line of a model's output as CodeXGLUE tokens, and the sample's status."""
    tokens = text.response_tokens(response, doc["language"], doc["prompt_format"], text.ends_line(doc["context"]))
    line, ended = cut_line(tokens, doc["line_rule"])
    if not line:
        return line, "empty: the output holds no code token before the line end"
    if not ended and doc["language"] == "java":
        return line, "no_line_end: no line end (; or }) within the generation budget; scored as generated"
    return line, scoring.OK


def process_results(doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
    response = results[0]
    line, status = predicted_line(str(response), doc)
    return {
        **scoring.line_metrics(prediction=" ".join(line), reference=doc["reference"], language=doc["language"]),
        "status": status,
        **sample_cost_metrics(response),
    }
