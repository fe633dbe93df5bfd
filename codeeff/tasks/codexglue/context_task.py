"""``py150_ctx{20,30,50,60}`` / ``javacorpus_ctx{20,30,50,60}``: the early-exit seed's context-fraction protocol.

The early-exit seed is Briem, "Towards Resource Efficient Code Generation through Dynamic Early Exits in LLMs" (TU Wien,
2025).
Briem (§6.2.3): "we give the model the first n tokens of a sample as input and use the tokens from the dataset in the
range [n + 1, n + max_new] as ground truth", n = fraction × the sample's token count, max_new = 15, greedy.

**Unit.** Context, continuation and the 15 are counted in *CodeXGLUE code tokens* (the dataset's whitespace-separated
tokens, ``<EOL>`` included), not model tokens: the seed counts a sample's tokens by whitespace splitting "in order not
to introduce a bias through a tokenizer" (§4.2), takes its ground truth from "the tokens from the dataset", and sizes
15 from CodeXGLUE's ~7-token average line; and a reference in model tokens would differ between models with
different tokenizers, so their scores could not be compared. The model therefore generates up to ``max_gen_toks``
model tokens (64: enough for 15 code tokens with any usual tokenizer), its output is re-tokenized and the first 15
code tokens are scored against the 15 reference tokens (status ``short`` if it produced fewer).

Contexts keep at most ``cxg_max_context_tokens`` (default 512, the seed's cap) code tokens, from the left. Files
too short to hold a non-empty context and 15 continuation tokens are skipped and counted in the provenance record.
"""

from __future__ import annotations

from typing import Any

from codeeff.formats.codexglue_rows import SourceConfig, load_token_files
from codeeff.metrics.cost import sample_cost_metrics
from codeeff.provenance import record_dataset
from codeeff.tasks.codexglue import scoring, text

DEFAULT_MAX_CONTEXT_TOKENS = 512


def split_file(tokens: list[str], fraction: float, continuation: int, max_context: int) -> tuple[list[str], list[str]]:
    """(context, reference) of one file; ``([], [])`` when the file cannot hold both."""
    n = int(len(tokens) * fraction)
    reference = tokens[n : n + continuation]
    if n == 0 or len(reference) < continuation:
        return [], []
    start = max(0, n - max_context) if max_context > 0 else 0
    return tokens[start:n], reference


def load(task: str, language: str, fraction: float, continuation_tokens: int = 15, **metadata: Any) -> dict[str, Any]:
    """lm-eval ``custom_dataset``: ``{"test": Dataset}`` of context-fraction documents (see docs/completion.md)."""
    import datasets

    if not 0 < float(fraction) < 1:
        raise ValueError(f"{task}: fraction must be in (0, 1), got {fraction}")
    config = SourceConfig.from_metadata(metadata)
    fmt = text.prompt_format(metadata)
    max_context = int(metadata.get("cxg_max_context_tokens", DEFAULT_MAX_CONTEXT_TOKENS))
    files, origin = load_token_files(config, language)
    text.register_literals(language, config.data_dir)
    docs, skipped = [], 0
    for file_id, tokens in enumerate(files):
        context, reference = split_file(tokens, float(fraction), int(continuation_tokens), max_context)
        if not reference:
            skipped += 1
            continue
        docs.append(
            {
                "id": file_id,
                "language": language,
                "source": origin.source,
                "prompt_format": fmt,
                "fraction": float(fraction),
                "file_tokens": len(tokens),
                "split_at": int(len(tokens) * float(fraction)),
                "context": " ".join(context),
                "reference": " ".join(reference),
            }
        )
    if not docs:
        raise ValueError(f"{task}: no file of {origin.path} is long enough for the protocol")
    origin.rows = len(docs)
    origin.notes.append(f"{skipped} file(s) skipped: too short for a context and {continuation_tokens} tokens")
    record_dataset(
        task,
        **origin.as_record(),
        fraction=float(fraction),
        continuation_tokens=int(continuation_tokens),
        unit="CodeXGLUE code tokens",
        max_context_tokens=max_context,
        prompt_format=fmt,
    )
    return {"test": datasets.Dataset.from_list(docs)}


def process_results(doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
    response = results[0]
    reference = doc["reference"].split()
    produced = text.response_tokens(
        str(response), doc["language"], doc["prompt_format"], text.ends_line(doc["context"])
    )
    prediction = produced[: len(reference)]
    if not prediction:
        status = "empty: the output holds no code token"
    elif len(prediction) < len(reference):
        status = f"short: {len(prediction)} of {len(reference)} code tokens within the generation budget"
    else:
        status = scoring.OK
    return {
        **scoring.span_metrics(prediction=prediction, reference=reference, language=doc["language"]),
        "status": status,
        **sample_cost_metrics(response),
    }
