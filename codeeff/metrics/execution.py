"""Execution metrics: computational accuracy (CA) and the unbiased pass@k, from the samples of one document.

pass@k uses the unbiased estimator of Chen et al. (2021), ``1 - C(n-c, k) / C(n, k)``. Harnesses disagree when a
problem has fewer than k samples (HF/bigcode silently drop that k, MultiPL-E returns 1.0); codeeff refuses with an
error naming the problem, because either silent choice changes the reported number. :func:`document_metrics` gives
what an execution task's ``process_results`` emits for one document from its counted samples: ``ca`` (the share of
passing samples), ``ca_type<T>``, ``pass@k`` for every requested k <= n, and ``exec_status_<kind>`` (the share of
samples per outcome kind). Which samples count (harness faults do not) is the task's decision.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping, Sequence


def document_metrics(
    passed: Sequence[bool],
    kinds: Sequence[str],
    *,
    known_kinds: Sequence[str],
    type_: int | None = None,
    ks: Iterable[int] = (1,),
) -> dict[str, float]:
    """Per-document CA, pass@k and outcome mix of ``n = len(passed)`` counted samples (``kinds[i]`` is sample i's
    outcome kind, one of ``known_kinds``); every value is a mean over documents when lm-eval aggregates it."""
    if not passed:
        raise ValueError("execution metrics of a document without counted samples are undefined")
    if len(kinds) != len(passed):
        raise ValueError(f"{len(passed)} outcomes but {len(kinds)} outcome kinds")
    unknown = sorted(set(kinds) - set(known_kinds))
    if unknown:
        raise ValueError(f"unknown outcome kind(s) {', '.join(unknown)}; known: {', '.join(known_kinds)}")
    n, c = len(passed), sum(1 for p in passed if p)
    values = {"ca": c / n}
    if type_ is not None:
        values[f"ca_type{type_}"] = c / n
    values.update({f"pass@{k}": pass_at_k(n, c, k) for k in ks if k <= n})
    values.update({f"exec_status_{kind}": sum(1 for s in kinds if s == kind) / n for kind in known_kinds})
    return values


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one problem with ``n`` samples of which ``c`` passed; raises if ``n < k``."""
    try:
        n, c, k = operator.index(n), operator.index(c), operator.index(k)  # ints, numpy ints; not floats
    except TypeError as exc:
        raise TypeError(f"pass_at_k takes integers n, c, k (got {n!r}, {c!r}, {k!r})") from exc
    if k < 1:
        raise ValueError(f"pass@k needs k >= 1, got k={k}")
    if not 0 <= c <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n, got n={n}, c={c}")
    if n < k:
        raise ValueError(f"pass@{k} is undefined with n={n} < k samples (codeeff never drops or fakes a k)")
    if n - c < k:
        return 1.0
    # 1 - C(n-c, k)/C(n, k) as a numerically stable product.
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def pass_at_k_from_outcomes(outcomes: Sequence[bool], ks: Iterable[int] = (1,)) -> dict[str, float]:
    """``{"pass@k": value}`` for one problem's sample outcomes (what ``process_results`` emits)."""
    n, c = len(outcomes), sum(bool(o) for o in outcomes)
    return {f"pass@{k}": pass_at_k(n, c, int(k)) for k in ks}


def corpus_pass_at_k(results: Mapping[str, Sequence[bool]] | Sequence[Sequence[bool]], ks: Iterable[int]) -> dict:
    """Mean pass@k over problems; any problem with fewer than k samples is an error naming the problem."""
    items = list(results.items()) if isinstance(results, Mapping) else list(enumerate(results))
    if not items:
        raise ValueError("pass@k of an empty list of problems is undefined")
    ks = [int(k) for k in ks]
    short = [(pid, len(o), k) for k in ks for pid, o in items if len(o) < k]
    if short:
        pid, n, k = short[0]
        raise ValueError(
            f"pass@{k} needs at least {k} samples per problem; problem {pid!r} has n={n} "
            f"({len(short)} problem/k combinations short). Lower k or generate more samples."
        )
    return {f"pass@{k}": math.fsum(pass_at_k(len(o), sum(map(bool, o)), k) for _, o in items) / len(items) for k in ks}
