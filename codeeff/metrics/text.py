"""N-gram and subsequence metrics: two named BLEU flavours, chrF, ROUGE-L and a code-aware ROUGE-L.

The same outputs can score 9.7 or 87 "BLEU" depending on tokenization and smoothing (code-eval-anchors §(d)5), so
the flavours have different names and signatures instead of one ambiguous ``bleu``:

- ``bleu``: sacrebleu corpus BLEU (13a tokenization, exponential smoothing), 0-100, with sacrebleu's own signature;
- ``bleu_cxg``: the smoothed BLEU of CodeXGLUE's ``bleu.py`` (the code-translation literature's number): whitespace
  tokens, add-one smoothing on every n-gram order, corpus-level, 0-100. Written from the definition (Lin & Och 2004
  smoothing as used in the TensorFlow NMT ``compute_bleu``); the tests pin it to the reference implementation's values.

rouge-score (its tokenizer; the LCS is computed by rapidfuzz) lowercases and keeps only ``[a-z0-9]`` runs, so ``a+b`` and ``a-b`` are identical to it; ``rougeL_code``
keeps case, operators and punctuation as tokens. Corpus ROUGE-L is the mean of per-pair F-measures (rouge-score has
no corpus formula; HF ``evaluate`` reports a bootstrap estimate of that mean).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

BLEU_CXG_MAX_ORDER = 4


def check_pairs(*, predictions: Sequence[str], references: Sequence[str], metric: str) -> None:
    """One clear error for the two ways a corpus can be unusable."""
    if len(references) != len(predictions):
        raise ValueError(f"{metric}: {len(references)} references but {len(predictions)} predictions")
    if not references:
        raise ValueError(f"{metric}: empty corpus (no pairs)")


# ---------------------------------------------------------------------------------------------------------------
# CodeXGLUE smoothed BLEU
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BleuCxgStats:
    """Summable statistics of one or more pairs."""

    matches: tuple[int, ...]
    possible: tuple[int, ...]
    prediction_length: int
    reference_length: int

    def __add__(self, other: BleuCxgStats) -> BleuCxgStats:
        return BleuCxgStats(
            tuple(a + b for a, b in zip(self.matches, other.matches, strict=False)),
            tuple(a + b for a, b in zip(self.possible, other.possible, strict=False)),
            self.prediction_length + other.prediction_length,
            self.reference_length + other.reference_length,
        )


def _all_ngrams(tokens: Sequence[str], max_order: int) -> Counter:
    counts: Counter = Counter()
    for order in range(1, max_order + 1):
        for start in range(len(tokens) - order + 1):
            counts[tuple(tokens[start : start + order])] += 1
    return counts


def bleu_cxg_stats(*, prediction: str, reference: str, max_order: int = BLEU_CXG_MAX_ORDER) -> BleuCxgStats:
    """Clipped n-gram matches and possible matches of one pair over ``str.split()`` tokens (after ``strip()``)."""
    ref_tokens, pred_tokens = reference.strip().split(), prediction.strip().split()
    overlap = _all_ngrams(pred_tokens, max_order) & _all_ngrams(ref_tokens, max_order)
    matches = [0] * max_order
    for ngram, count in overlap.items():
        matches[len(ngram) - 1] += count
    possible = tuple(max(len(pred_tokens) - order + 1, 0) for order in range(1, max_order + 1))
    return BleuCxgStats(tuple(matches), possible, len(pred_tokens), len(ref_tokens))


def bleu_cxg_from_stats(stats: BleuCxgStats) -> float:
    """Smoothed BLEU, 0-100: precisions (m+1)/(p+1) on every order, geometric mean, brevity penalty.

    Edge cases the reference implementation crashes on (ZeroDivisionError) are defined here: empty references give
    0 unless the predictions are empty too (100), and empty predictions give 0.
    """
    if stats.reference_length == 0:
        return 100.0 if stats.prediction_length == 0 else 0.0
    if stats.prediction_length == 0:
        return 0.0
    order = len(stats.matches)
    precisions = [(m + 1.0) / (p + 1.0) for m, p in zip(stats.matches, stats.possible, strict=False)]
    geometric_mean = math.exp(sum((1.0 / order) * math.log(p) for p in precisions))
    ratio = stats.prediction_length / stats.reference_length
    brevity = 1.0 if ratio > 1.0 else math.exp(1 - 1.0 / ratio)
    return 100.0 * (geometric_mean * brevity)


def corpus_bleu_cxg(
    *, predictions: Sequence[str], references: Sequence[str], max_order: int = BLEU_CXG_MAX_ORDER
) -> float:
    check_pairs(predictions=predictions, references=references, metric="bleu_cxg")
    total = BleuCxgStats((0,) * max_order, (0,) * max_order, 0, 0)
    for ref, pred in zip(references, predictions, strict=False):
        total = total + bleu_cxg_stats(prediction=pred, reference=ref, max_order=max_order)
    return bleu_cxg_from_stats(total)


def sentence_bleu_cxg(*, prediction: str, reference: str, max_order: int = BLEU_CXG_MAX_ORDER) -> float:
    return bleu_cxg_from_stats(bleu_cxg_stats(prediction=prediction, reference=reference, max_order=max_order))


# ---------------------------------------------------------------------------------------------------------------
# sacrebleu BLEU and chrF
# ---------------------------------------------------------------------------------------------------------------


@cache
def _sacrebleu_metric(name: str, sentence: bool = False):
    from sacrebleu.metrics import BLEU, CHRF

    if name == "bleu":
        return BLEU(effective_order=True) if sentence else BLEU()
    return CHRF()


def corpus_bleu(*, predictions: Sequence[str], references: Sequence[str]) -> float:
    """sacrebleu corpus BLEU (0-100), default settings: its signature is :func:`sacrebleu_signature`."""
    check_pairs(predictions=predictions, references=references, metric="bleu")
    return float(_sacrebleu_metric("bleu").corpus_score(list(predictions), [list(references)]).score)


def sentence_bleu(*, prediction: str, reference: str) -> float:
    """sacrebleu sentence BLEU with effective order (the per-sample view; corpus BLEU is not its mean)."""
    return float(_sacrebleu_metric("bleu", True).sentence_score(prediction, [reference]).score)


def corpus_chrf(*, predictions: Sequence[str], references: Sequence[str]) -> float:
    check_pairs(predictions=predictions, references=references, metric="chrf")
    return float(_sacrebleu_metric("chrf").corpus_score(list(predictions), [list(references)]).score)


def sentence_chrf(*, prediction: str, reference: str) -> float:
    return float(_sacrebleu_metric("chrf").sentence_score(prediction, [reference]).score)


@cache
def sacrebleu_signature(name: str) -> str:
    """sacrebleu's own signature (it knows ``nrefs`` only after scoring, so score a one-pair corpus first)."""
    from sacrebleu.metrics import BLEU, CHRF

    metric = BLEU() if name == "bleu" else CHRF()
    metric.corpus_score(["a"], [["a"]])
    return str(metric.get_signature())


# ---------------------------------------------------------------------------------------------------------------
# ROUGE-L
# ---------------------------------------------------------------------------------------------------------------

# Identifiers, numbers (with a decimal part / exponent), then the longest operator first, then any other character.
_CODE_OPERATORS = sorted(
    ">>>= <<= >>= **= //= ... -> => :: := == != <= >= && || ++ -- += -= *= /= %= &= |= ^= << >> ** //".split(),
    key=len,
    reverse=True,
)
_CODE_TOKEN = re.compile(
    r"[A-Za-z_$][\w$]*|\d[\w.]*(?:[eE][-+]?\d+)?|" + "|".join(re.escape(op) for op in _CODE_OPERATORS) + r"|\S",
    re.UNICODE,
)


def code_tokens(text: str) -> list[str]:
    """Case-sensitive code tokens that keep every operator and punctuation mark (``a+b`` -> ``a``, ``+``, ``b``)."""
    return _CODE_TOKEN.findall(text)


def rouge_tokens(text: str, *, code: bool = False) -> list[str]:
    """rouge-score's default tokens (no stemming), or :func:`code_tokens` when ``code``."""
    if code:
        return code_tokens(text)
    from rouge_score import tokenize as rouge_tokenize  # the tokenizer module alone: no nltk import (~4 s CPU)

    return rouge_tokenize.tokenize(text, None)


def sentence_rouge_l(*, prediction: str, reference: str, code: bool = False) -> float:
    """ROUGE-L F-measure in [0, 1] with rouge-score's formula (identical to ``RougeScorer(["rougeL"])``, tested).

    The LCS length comes from rapidfuzz's C++ ``LCSseq`` over token lists instead of rouge-score's pure-Python
    table: same number, no nltk import, ~10x faster.
    """
    from rapidfuzz.distance import LCSseq

    ref, pred = rouge_tokens(reference, code=code), rouge_tokens(prediction, code=code)
    if not ref or not pred:
        return 0.0
    lcs = LCSseq.similarity(ref, pred)
    precision, recall = lcs / len(pred), lcs / len(ref)
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def corpus_rouge_l(*, predictions: Sequence[str], references: Sequence[str], code: bool = False) -> float:
    check_pairs(predictions=predictions, references=references, metric="rougeL_code" if code else "rougeL")
    pairs = zip(predictions, references, strict=False)
    scores = [sentence_rouge_l(prediction=p, reference=r, code=code) for p, r in pairs]
    return math.fsum(scores) / len(scores)
