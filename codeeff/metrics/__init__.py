"""codeeff's code metrics: trustworthy, named apart, deterministic, each with a reproducibility signature.

Plain Python API (sentence/sample level and corpus level):

- CodeBLEU: :func:`corpus_codebleu` / :func:`sentence_codebleu` -> :class:`CodeBLEUResult` (all four components;
  ``dataflow`` is ``None`` with a reason when undefined; ``mode="compat"`` reproduces the codebleu library);
- BLEU: :func:`corpus_bleu` (sacrebleu) and :func:`corpus_bleu_cxg` (CodeXGLUE smoothed BLEU); chrF; ROUGE-L and
  code-aware ROUGE-L;
- per sample: :func:`exact_match_cxg`, :func:`exact_match_plain`, :func:`edit_similarity`,
  :func:`levenshtein_distance`, :func:`token_accuracy`;
- execution: :func:`pass_at_k`, :func:`corpus_pass_at_k`, :func:`document_metrics` (a document's CA, pass@k and
  outcome mix, what G-TransEval's ``process_results`` emits).

lm-eval glue lives in :mod:`codeeff.metrics.lm_eval_glue`; the CodeXGLUE token format in
:mod:`codeeff.formats.codexglue`; :func:`signature` gives the signature of any metric name in results.
"""

from codeeff.metrics.code_bleu import CodeBLEUResult, corpus_codebleu, sentence_codebleu
from codeeff.metrics.execution import corpus_pass_at_k, document_metrics, pass_at_k, pass_at_k_from_outcomes
from codeeff.metrics.line import (
    edit_similarity,
    exact_match_cxg,
    exact_match_plain,
    levenshtein_distance,
    restore_literals,
    token_accuracy,
)
from codeeff.metrics.registry import metrics, signature
from codeeff.metrics.text import (
    corpus_bleu,
    corpus_bleu_cxg,
    corpus_chrf,
    corpus_rouge_l,
    sentence_bleu,
    sentence_bleu_cxg,
    sentence_chrf,
    sentence_rouge_l,
)

__all__ = [
    "CodeBLEUResult",
    "corpus_bleu",
    "corpus_bleu_cxg",
    "corpus_chrf",
    "corpus_codebleu",
    "corpus_pass_at_k",
    "corpus_rouge_l",
    "document_metrics",
    "edit_similarity",
    "exact_match_cxg",
    "exact_match_plain",
    "levenshtein_distance",
    "metrics",
    "pass_at_k",
    "pass_at_k_from_outcomes",
    "restore_literals",
    "sentence_bleu",
    "sentence_bleu_cxg",
    "sentence_chrf",
    "sentence_codebleu",
    "sentence_rouge_l",
    "signature",
    "token_accuracy",
]
