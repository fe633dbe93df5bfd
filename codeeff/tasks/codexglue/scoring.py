"""The per-sample metric record of the CodeXGLUE completion tasks (metric code lives in :mod:`codeeff.metrics`).

Every metric compares the same two strings, built from CodeXGLUE tokens the way CodeXGLUE's line evaluator does:
literal placeholders restored by its ``post_process`` (``<NUM_LIT>`` -> ``0``, ``<STR_LIT>`` -> empty,
``<X_LIT:v>`` -> ``v``), tokens separated by one space, and — for multi-line spans — ``<EOL>`` written as a line
break so code parsers (CodeBLEU) see lines. Per-document scores are plain numbers averaged by lm-eval; corpus
metrics (BLEU, CodeBLEU, ROUGE-L, chrF) receive ``{"reference", "prediction", "language"}`` items and are
aggregated by :mod:`codeeff.metrics.lm_eval_glue`.
"""

from __future__ import annotations

from typing import Any

from codeeff.formats import codexglue as cxg
from codeeff.metrics.line import restore_literals

OK = "ok"
LINE_CORPUS_METRICS = ("bleu", "bleu_cxg", "codebleu", "rougeL", "chrf")
SPAN_CORPUS_METRICS = ("codebleu", "codebleu_syntax", "codebleu_dataflow", "rougeL", "bleu", "chrf")


def metric_text(tokens: list[str]) -> str:
    """CodeXGLUE tokens -> the string all metrics compare (literals restored, ``<EOL>`` as a line break)."""
    lines: list[list[str]] = [[]]
    for token in tokens:
        if token == cxg.EOL:
            lines.append([])
        else:
            lines[-1].append(token)
    return restore_literals("\n".join(" ".join(line) for line in lines))


def _items(names: tuple[str, ...], *, prediction: str, reference: str, language: str) -> dict[str, dict[str, str]]:
    from codeeff.metrics.lm_eval_glue import corpus_item

    return {name: corpus_item(prediction=prediction, reference=reference, language=language) for name in names}


def line_metrics(*, prediction: str, reference: str, language: str) -> dict[str, Any]:
    """One line: CodeXGLUE's EM and edit similarity (parity with its evaluator) plus text-metric items.

    ``prediction`` and ``reference`` are space-separated CodeXGLUE tokens (placeholders not yet restored: the
    parity functions restore them exactly as the evaluator does).
    """
    from codeeff.metrics import edit_similarity, exact_match_cxg, levenshtein_distance

    pred_text, ref_text = metric_text(prediction.split()), metric_text(reference.split())
    return {
        "exact_match_cxg": exact_match_cxg(prediction=prediction, reference=reference),
        "edit_similarity": edit_similarity(prediction=prediction, reference=reference),
        "levenshtein_distance": levenshtein_distance(prediction=pred_text, reference=ref_text),
        **_items(LINE_CORPUS_METRICS, prediction=pred_text, reference=ref_text, language=language),
    }


def span_metrics(*, prediction: list[str], reference: list[str], language: str) -> dict[str, Any]:
    """A fixed-length token span (the context-fraction tasks): the seed's metric set.

    The seed: Briem, "Towards Resource Efficient Code Generation through Dynamic Early Exits in LLMs" (TU Wien, 2025),
    §6.1 (metrics) and §6.2.3 (15 tokens).

    Token accuracy (:func:`codeeff.metrics.token_accuracy`, the same function ``codeeff metrics`` runs) is over the
    reference's positions: a prediction shorter than the reference is padded with misses, so stopping early never
    raises the score (the seed always generates its full 15 tokens).
    """
    from codeeff.metrics import exact_match_cxg, levenshtein_distance, token_accuracy

    pred_text, ref_text = metric_text(prediction), metric_text(reference)
    return {
        "exact_match_cxg": exact_match_cxg(prediction=" ".join(prediction), reference=" ".join(reference)),
        "levenshtein_distance": levenshtein_distance(prediction=pred_text, reference=ref_text),
        "token_accuracy": token_accuracy(
            prediction=[restore_literals(t) for t in prediction], reference=[restore_literals(t) for t in reference]
        ),
        **_items(SPAN_CORPUS_METRICS, prediction=pred_text, reference=ref_text, language=language),
    }


def ok_fraction(statuses: list[str]) -> float:
    """Aggregation of the per-sample ``status`` strings: the fraction of samples whose status is ``ok``."""
    return sum(1 for status in statuses if status == OK) / len(statuses) if statuses else float("nan")
