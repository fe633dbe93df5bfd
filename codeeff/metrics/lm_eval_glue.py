"""lm-eval glue: corpus aggregations and per-document functions, referenced from task YAML by absolute dotted path.

Corpus metrics: ``process_results`` emits, for every corpus metric it declares, the same item
``{"reference": str, "prediction": str, "language": str}`` (raw code; CodeXGLUE tasks pass retokenized or
detokenized text consistently on both sides), and ``metric_list`` names the aggregation::

    metric_list:
      - metric: codebleu
        aggregation: !function codeeff.metrics.lm_eval_glue.codebleu
        higher_is_better: true

The five CodeBLEU aggregations receive identical item lists and share one memoised computation.

Undefined values: ``codebleu_dataflow`` returns ``None`` when the references have no dataflow at all. lm-eval 0.4.13
stores an aggregation's return value as is: ``None`` is written to the results JSON as ``null`` and printed as
``None`` in the table (checked), whereas ``float("nan")`` would be written as the bare token ``NaN``, which is not
valid JSON and breaks strict readers. So ``None`` (plus a logged warning with the reason) is codeeff's "undefined".
lm-eval's stderr for a custom aggregation is "N/A" (no bootstrap), so nothing else sees the ``None``.

Per-document functions (return floats, aggregate with ``mean``): :func:`exact_match_cxg`, :func:`exact_match_plain`,
:func:`edit_similarity`, :func:`levenshtein_distance`, :func:`token_accuracy`, :func:`pass_at_k`; for execution
tasks :func:`document_metrics` (CA, pass@k and the outcome mix of a document's samples).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from codeeff.metrics import code_bleu, registry
from codeeff.metrics.execution import document_metrics, pass_at_k, pass_at_k_from_outcomes
from codeeff.metrics.line import (
    edit_similarity,
    exact_match_cxg,
    exact_match_plain,
    levenshtein_distance,
    token_accuracy,
)

__all__ = [
    "bleu",
    "bleu_cxg",
    "chrf",
    "codebleu",
    "codebleu_compat",
    "codebleu_dataflow",
    "codebleu_ngram",
    "codebleu_syntax",
    "codebleu_weighted_ngram",
    "corpus_item",
    "document_metrics",
    "edit_similarity",
    "exact_match_cxg",
    "exact_match_plain",
    "levenshtein_distance",
    "pass_at_k",
    "pass_at_k_from_outcomes",
    "rougeL",
    "rougeL_code",
    "token_accuracy",
]

log = logging.getLogger(__name__)


def corpus_item(*, prediction: str, reference: str, language: str) -> dict[str, str]:
    """The item a task's ``process_results`` emits for each corpus metric."""
    return {"reference": str(reference), "prediction": str(prediction), "language": str(language)}


def _unpack(items: Sequence[Mapping], metric: str) -> tuple[list[str], list[str], str]:
    if not items:
        raise ValueError(f"{metric}: no items to aggregate")
    try:
        refs = [str(item["reference"]) for item in items]
        preds = [str(item["prediction"]) for item in items]
        languages = {str(item["language"]) for item in items}
    except (TypeError, KeyError) as exc:
        raise ValueError(f"{metric}: items must be dicts with reference, prediction, language ({exc})") from exc
    if len(languages) != 1:
        raise ValueError(f"{metric}: one corpus must have one language, got {sorted(languages)}")
    return refs, preds, languages.pop()


def _aggregate(metric: str, items: Sequence[Mapping]) -> float | None:
    refs, preds, language = _unpack(items, metric)
    value = registry.get(metric).corpus(predictions=preds, references=refs, language=language)
    if value is None and metric == "codebleu_dataflow":
        log.warning("codebleu_dataflow is null for %d items: %s", len(items), code_bleu.DEGENERATE_REASON)
    return value


def codebleu(items: Sequence[Mapping]) -> float | None:
    """CodeBLEU (codeeff mode: a degenerate dataflow is excluded and the other weights renormalised)."""
    return _aggregate("codebleu", items)


def codebleu_ngram(items: Sequence[Mapping]) -> float | None:
    return _aggregate("codebleu_ngram", items)


def codebleu_weighted_ngram(items: Sequence[Mapping]) -> float | None:
    return _aggregate("codebleu_weighted_ngram", items)


def codebleu_syntax(items: Sequence[Mapping]) -> float | None:
    return _aggregate("codebleu_syntax", items)


def codebleu_dataflow(items: Sequence[Mapping]) -> float | None:
    """Dataflow match, or ``None`` (JSON ``null``) when the references have no dataflow."""
    return _aggregate("codebleu_dataflow", items)


def codebleu_compat(items: Sequence[Mapping]) -> float | None:
    """The codebleu library's own number (``dataflow or 1`` credit) under PYTHONHASHSEED=0, for paper comparisons."""
    return _aggregate("codebleu_compat", items)


def bleu(items: Sequence[Mapping]) -> float:
    return _aggregate("bleu", items)


def bleu_cxg(items: Sequence[Mapping]) -> float:
    return _aggregate("bleu_cxg", items)


def chrf(items: Sequence[Mapping]) -> float:
    return _aggregate("chrf", items)


def rougeL(items: Sequence[Mapping]) -> float:  # noqa: N802 (the metric's name in results)
    return _aggregate("rougeL", items)


def rougeL_code(items: Sequence[Mapping]) -> float:  # noqa: N802
    return _aggregate("rougeL_code", items)
