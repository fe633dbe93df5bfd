"""CodeBLEU (Ren et al. 2020) on top of the ``codebleu`` library, deterministic, with an honest dataflow component.

Why not call ``codebleu.calc_codebleu`` directly:

1. **Hash-order nondeterminism.** The library's dataflow graph merges nodes with ``list(set(...))`` (in ``get_data_flow``
   and inside every ``DFG_*`` function), so the dataflow score depends on ``PYTHONHASHSEED`` (codebleu#35). codeeff
   computes every CodeBLEU statistic in worker processes started with ``PYTHONHASHSEED=0`` (or in-process when this
   interpreter already runs with hash randomization off), so a number never depends on the caller's seed, and equals
   what ``PYTHONHASHSEED=0 python -c "codebleu.calc_codebleu(...)"`` prints.
2. **The ``dataflow or 1`` credit** (codebleu#59). A corpus whose references have no dataflow at all (typical for
   single lines) makes the library credit the dataflow weight in full, and a real zero match is credited too. In the
   default ``codeeff`` mode a degenerate dataflow is ``None`` (with a reason) and CodeBLEU is the weight-renormalised
   mean of the three remaining components; a real zero stays zero. ``mode="compat"`` reproduces the library's number.
3. **Speed and parallelism.** All four components are ratios of corpus sums, so each pair is reduced to integer (and,
   for the keyword-weighted unigrams, float) counts in parallel; the parent sums them in pair order, exactly as the
   library does, so the result is bit-identical for any number of workers. Each text is cleaned and parsed once and
   its subtrees and dataflow graph are reused by both structural components (the library parses every text twice).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import math
import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache, lru_cache
from typing import Any

from codeeff.metrics.seeded_workers import shared_workers

MODES = ("codeeff", "compat")
WEIGHTS = (0.25, 0.25, 0.25, 0.25)
HASH_SEED = "0"
MAX_ORDER = 4
# The library's BLEU uses NLTK's smoothing method 1: zero n-gram matches count as 0.1.
_EPSILON = 0.1
_LANGUAGE_ALIASES = {
    "py": "python",
    "python3": "python",
    "c++": "cpp",
    "cc": "cpp",
    "c#": "c_sharp",
    "cs": "c_sharp",
    "csharp": "c_sharp",
    "js": "javascript",
}
# Languages the library supports whose tree-sitter grammar is a declared codeeff dependency.
_GRAMMARS = {
    "python": "tree-sitter-python",
    "java": "tree-sitter-java",
    "cpp": "tree-sitter-cpp",
    "javascript": "tree-sitter-javascript",
    "c_sharp": "tree-sitter-c-sharp",
}
LANGUAGES = tuple(_GRAMMARS)
DEGENERATE_REASON = "no dataflow in the references (e.g. single lines): the dataflow match is undefined"


def normalize_language(language: str) -> str:
    key = str(language).strip().lower()
    key = _LANGUAGE_ALIASES.get(key, key)
    if key not in _GRAMMARS:
        raise ValueError(f"CodeBLEU: unknown language '{language}'; supported: {', '.join(LANGUAGES)}")
    return key


@dataclass(frozen=True)
class CodeBLEUResult:
    """Corpus CodeBLEU with its four components (each in [0, 1]); ``dataflow`` is ``None`` when undefined."""

    codebleu: float
    ngram: float
    weighted_ngram: float
    syntax: float
    dataflow: float | None
    dataflow_reason: str | None
    mode: str
    pairs: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------------------------------------------
# Per-text analysis (runs in the seeded workers)
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TextAnalysis:
    tokens: tuple[str, ...]
    ngrams: tuple[Counter, ...]  # n-gram counts for n = 1..MAX_ORDER (read-only: Counter lookups never insert)
    subtrees: Counter  # s-expression of every subtree with children -> occurrences (library's get_all_sub_trees)
    dataflow: Counter  # normalised dataflow edges -> occurrences (library's normalize_dataflow of get_data_flow)


@cache
def _parser(language: str):
    from codebleu.dataflow_match import dfg_function
    from codebleu.utils import get_tree_sitter_language
    from tree_sitter import Parser

    parser = Parser()
    parser.language = get_tree_sitter_language(language)
    return parser, dfg_function[language]


@cache
def _keywords(language: str) -> frozenset[str]:
    from codebleu.codebleu import PACKAGE_DIR

    with open(PACKAGE_DIR / "keywords" / f"{language}.txt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh)


def _subtrees(root) -> Counter:
    """Every node that has children, as its s-expression (what the library's syntax match compares)."""
    found: Counter = Counter()
    stack = [root]
    while stack:
        node = stack.pop()
        found[str(node)] += 1
        stack.extend(child for child in node.children if child.children)
    return found


def _dataflow_graph(root, code: str, dfg_fn) -> list:
    """The library's ``get_data_flow`` on an already parsed tree (same steps, same order, one parse less)."""
    from codebleu.parser import index_to_code_token, tree_to_token_index

    try:
        token_spans = tree_to_token_index(root)
        lines = code.split("\n")
        index_to_code = {span: (i, index_to_code_token(span, lines)) for i, span in enumerate(token_spans)}
        try:
            graph, _ = dfg_fn(root, index_to_code, {})
        except Exception:  # the library swallows DFG failures the same way
            graph = []
        graph = sorted(graph, key=lambda edge: edge[1])
        used = set()
        for edge in graph:
            if edge[-1]:
                used.add(edge[1])
            used.update(edge[-1])
        graph = [edge for edge in graph if edge[1] in used]
    except Exception:
        graph = []
    merged: dict = {}
    for edge in graph:
        if edge[1] not in merged:
            merged[edge[1]] = edge
        else:
            old = merged[edge[1]]
            # Hash-order dependent exactly like the library; pinned by the worker's PYTHONHASHSEED.
            merged[edge[1]] = (edge[0], edge[1], edge[2], list(set(old[3] + edge[3])), list(set(old[4] + edge[4])))
    return list(merged.values())


@lru_cache(maxsize=200_000)
def _analyze(language: str, text: str) -> _TextAnalysis:
    from codebleu.dataflow_match import normalize_dataflow
    from codebleu.parser import remove_comments_and_docstrings

    stripped = text.strip()
    try:
        cleaned = remove_comments_and_docstrings(stripped, language)
    except Exception:  # partial code the Python tokenizer rejects: the library falls back to the text itself
        cleaned = stripped
    parser, dfg_fn = _parser(language)
    root = parser.parse(bytes(cleaned, "utf8")).root_node
    flows = normalize_dataflow(_dataflow_graph(root, cleaned, dfg_fn))
    tokens = tuple(stripped.split())
    return _TextAnalysis(
        tokens=tokens,
        ngrams=tuple(_ngrams(tokens, n) for n in range(1, MAX_ORDER + 1)),
        subtrees=_subtrees(root),
        dataflow=Counter((name, relation, tuple(parents)) for name, relation, parents in flows),
    )


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _pair_stats(language: str, reference: str, prediction: str) -> tuple:
    """All corpus-summable counts of one pair: BLEU, keyword-weighted recall, syntax and dataflow matches."""
    ref, hyp = _analyze(language, reference), _analyze(language, prediction)
    keywords = _keywords(language)
    bleu_num, bleu_den, w_num, w_den = [], [], [], []
    for n in range(1, MAX_ORDER + 1):
        hyp_counts, ref_counts = hyp.ngrams[n - 1], ref.ngrams[n - 1]
        bleu_num.append(sum(min(c, ref_counts[g]) for g, c in hyp_counts.items()))
        bleu_den.append(max(1, sum(hyp_counts.values())))
        clipped = {g: min(c, hyp_counts[g]) for g, c in ref_counts.items()}
        if n == 1:  # keyword weights: 1 for language keywords, 0.2 otherwise, summed in the library's order
            weight = {g: (1 if g[0] in keywords else 0.2) for g in ref_counts}
            numerator = 0
            for g, c in clipped.items():
                numerator += c * weight[g]
            denominator = 0
            for g, c in ref_counts.items():
                denominator += c * weight[g]
            w_num.append(numerator)
            w_den.append(max(1, denominator))
        else:
            w_num.append(sum(clipped.values()))
            w_den.append(max(1, sum(ref_counts.values())))
    syntax_match = sum(c for s, c in ref.subtrees.items() if s in hyp.subtrees)
    flow_match = sum(min(c, hyp.dataflow[f]) for f, c in ref.dataflow.items())
    return (
        len(hyp.tokens),
        len(ref.tokens),
        # The library's keyword-weighted component passes [tokens, weights] pairs as references, so its "closest
        # reference length" is len([tokens, weights]) == 2 per pair: its brevity penalty is effectively off.
        # Reproduced on purpose (both modes), so codeeff's components stay comparable with published CodeBLEU.
        2,
        tuple(bleu_num),
        tuple(bleu_den),
        tuple(w_num),
        tuple(w_den),
        syntax_match,
        sum(ref.subtrees.values()),
        flow_match,
        sum(ref.dataflow.values()),
    )


def _chunk_stats(job: tuple[str, list[tuple[str, str]]]) -> list[tuple]:
    language, pairs = job
    return [_pair_stats(language, ref, pred) for ref, pred in pairs]


# ---------------------------------------------------------------------------------------------------------------
# Seeded worker pool
# ---------------------------------------------------------------------------------------------------------------


def _in_process_is_seeded() -> bool:
    """True when this interpreter hashes like PYTHONHASHSEED=0 (randomization off), so no worker is needed."""
    return sys.flags.hash_randomization == 0


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def pair_statistics(
    *, predictions: Sequence[str], references: Sequence[str], language: str, workers: int | None = None
) -> list[tuple]:
    """Per-pair CodeBLEU counts, computed under PYTHONHASHSEED=0 (in seeded workers unless already seeded)."""
    language = normalize_language(language)
    pairs = list(zip(references, predictions, strict=True))
    workers = default_workers() if workers is None else max(1, int(workers))
    if _in_process_is_seeded() and (workers == 1 or len(pairs) < 200):
        return _chunk_stats((language, pairs))
    # Pairs that share a reference go to the same job, so each worker analyses a text once (its per-text cache);
    # the counts are scattered back to pair order, so the chunking never changes a number.
    order = sorted(range(len(pairs)), key=lambda i: pairs[i])
    size = max(50, math.ceil(len(pairs) / (workers * 4)))
    groups = [order[i : i + size] for i in range(0, len(order), size)]
    jobs = [(language, [pairs[i] for i in group]) for group in groups]
    stats: list[tuple] = [()] * len(pairs)
    for group, chunk in zip(
        groups, shared_workers(workers, HASH_SEED).map(f"{__name__}:_chunk_stats", jobs), strict=True
    ):
        for index, pair_stats in zip(group, chunk, strict=True):
            stats[index] = pair_stats
    return stats


# ---------------------------------------------------------------------------------------------------------------
# Corpus combination (parent process, pair order)
# ---------------------------------------------------------------------------------------------------------------


def _brevity_penalty(ref_len: int, hyp_len: int) -> float:
    if hyp_len > ref_len:
        return 1.0
    if hyp_len == 0:
        return 0.0
    return math.exp(1 - ref_len / hyp_len)


def _corpus_bleu(numerators: list, denominators: list, hyp_len: int, ref_len: int) -> float:
    """The library's (NLTK's) corpus BLEU from summed counts: 0 without unigram matches, else smoothing method 1."""
    if numerators[0] == 0:
        return 0.0
    smoothed = [(num if num != 0 else num + _EPSILON, den) for num, den in zip(numerators, denominators, strict=False)]
    log_sum = math.fsum(w * math.log(num / den) for w, (num, den) in zip(WEIGHTS, smoothed, strict=False))
    return _brevity_penalty(ref_len, hyp_len) * math.exp(log_sum)


def combine(stats: Sequence[tuple], mode: str = "codeeff") -> CodeBLEUResult:
    """Corpus CodeBLEU from per-pair counts (summed in pair order, as the library does)."""
    if mode not in MODES:
        raise ValueError(f"CodeBLEU mode must be one of {MODES}, got '{mode}'")
    if not stats:
        raise ValueError("CodeBLEU: empty corpus (no pairs)")
    hyp_len = ref_len = weighted_ref_len = 0
    b_num, b_den, w_num, w_den = [0] * MAX_ORDER, [0] * MAX_ORDER, [0] * MAX_ORDER, [0] * MAX_ORDER
    syn_match = syn_total = flow_match = flow_total = 0
    for h, r, wr, bn, bd, wn, wd, sm, st, fm, ft in stats:
        hyp_len += h
        ref_len += r
        weighted_ref_len += wr
        for i in range(MAX_ORDER):
            b_num[i] += bn[i]
            b_den[i] += bd[i]
            w_num[i] += wn[i]
            w_den[i] += wd[i]
        syn_match += sm
        syn_total += st
        flow_match += fm
        flow_total += ft
    ngram = _corpus_bleu(b_num, b_den, hyp_len, ref_len)
    weighted = _corpus_bleu(w_num, w_den, hyp_len, weighted_ref_len)
    syntax = syn_match / syn_total
    alpha, beta, gamma, theta = WEIGHTS
    if mode == "compat":
        dataflow = flow_match / flow_total if flow_total else 0.0
        score = alpha * ngram + beta * weighted + gamma * syntax + theta * (dataflow or 1)
        reason = DEGENERATE_REASON + " (compat: credited as 1 like the library)" if not flow_total else None
        return CodeBLEUResult(score, ngram, weighted, syntax, dataflow, reason, mode, len(stats))
    if flow_total == 0:
        score = (alpha * ngram + beta * weighted + gamma * syntax) / (alpha + beta + gamma)
        return CodeBLEUResult(score, ngram, weighted, syntax, None, DEGENERATE_REASON, mode, len(stats))
    dataflow = flow_match / flow_total
    score = alpha * ngram + beta * weighted + gamma * syntax + theta * dataflow
    return CodeBLEUResult(score, ngram, weighted, syntax, dataflow, None, mode, len(stats))


def _content_key(references: Sequence[str], predictions: Sequence[str], language: str) -> str:
    digest = hashlib.sha256(json.dumps([language, list(references), list(predictions)]).encode("utf-8"))
    return digest.hexdigest()


_MEMO: dict[str, list[tuple]] = {}
_MEMO_LIMIT = 16


def memoized_statistics(
    *, predictions: Sequence[str], references: Sequence[str], language: str, workers: int | None = None
) -> list[tuple]:
    """Per-pair counts, memoised by content (the mode only changes the combination, not the counts)."""
    if len(references) != len(predictions):
        raise ValueError(f"CodeBLEU: {len(references)} references but {len(predictions)} predictions")
    language = normalize_language(language)
    key = _content_key(references, predictions, language)
    if key not in _MEMO:
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = pair_statistics(predictions=predictions, references=references, language=language, workers=workers)
    return _MEMO[key]


def corpus_codebleu(
    *,
    predictions: Sequence[str],
    references: Sequence[str],
    language: str,
    mode: str = "codeeff",
    workers: int | None = None,
) -> CodeBLEUResult:
    """Corpus CodeBLEU of raw code pairs; memoised by content so its components never recompute the same corpus."""
    if mode not in MODES:
        raise ValueError(f"CodeBLEU mode must be one of {MODES}, got '{mode}'")
    stats = memoized_statistics(predictions=predictions, references=references, language=language, workers=workers)
    return combine(stats, mode)


def pair_codebleu(
    *,
    predictions: Sequence[str],
    references: Sequence[str],
    language: str,
    mode: str = "codeeff",
    workers: int | None = None,
) -> list[CodeBLEUResult]:
    """Sentence CodeBLEU of every pair (each pair a corpus of one), sharing the corpus' memoised counts."""
    if mode not in MODES:
        raise ValueError(f"CodeBLEU mode must be one of {MODES}, got '{mode}'")
    stats = memoized_statistics(predictions=predictions, references=references, language=language, workers=workers)
    return [combine([pair], mode) for pair in stats]


def sentence_codebleu(*, prediction: str, reference: str, language: str, mode: str = "codeeff") -> CodeBLEUResult:
    """CodeBLEU of one pair (a corpus of one; its dataflow is often undefined for short code)."""
    return corpus_codebleu(predictions=[prediction], references=[reference], language=language, mode=mode, workers=1)


def _dist_version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def versions() -> dict[str, Any]:
    """Library versions that determine CodeBLEU numbers (recorded in the signature)."""
    return {
        "codebleu": _dist_version("codebleu"),
        "tree-sitter": _dist_version("tree-sitter"),
        "grammars": {language: _dist_version(dist) for language, dist in _GRAMMARS.items()},
    }
