"""Execution metrics: computational accuracy (CA), its breakdowns, and the unbiased pass@k.

pass@k uses the unbiased estimator of Chen et al. (2021), ``1 - C(n-c, k) / C(n, k)``. Harnesses disagree when a
problem has fewer than k samples (HF/bigcode silently drop that k, MultiPL-E returns 1.0); codeeff refuses with an
error naming the problem, because either silent choice changes the reported number.

CA is the fraction of documents whose program passed. For G-TransEval tasks :func:`execution_metrics` gives the
per-document values to emit from ``process_results`` (declare each with ``aggregation: mean``): ``ca``, one
``exec_status_<status>`` indicator per sandbox status (so the failure mix is in the results) and ``ca_type<N>`` only
for documents of type N (so its mean is the per-type CA).
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

# Sandbox statuses (codeeff.sandbox.Status); every "killed:<SIG>" is reported as "killed".
EXEC_STATUSES = (
    "passed",
    "failed",
    "compile_error",
    "runtime_error",
    "timeout",
    "cpu_limit",
    "memory",
    "output_limit",
    "file_size",
    "killed",
    "sandbox_error",
)
GTRANSEVAL_TYPES = (1, 2, 3, 4)


def status_name(status: object) -> str:
    """The ``exec_status_*`` suffix of a sandbox status (enum member or string)."""
    value = str(getattr(status, "value", status))
    name = "killed" if value.startswith("killed") else value
    if name not in EXEC_STATUSES:
        raise ValueError(f"unknown execution status '{value}'; known: {', '.join(EXEC_STATUSES)}, killed:<SIG>")
    return name


def execution_metrics(status: object, type_: int | None = None) -> dict[str, float]:
    """Per-document CA values for lm-eval's ``process_results`` (all aggregated with ``mean``)."""
    name = status_name(status)
    passed = float(name == "passed")
    values = {"ca": passed, **{f"exec_status_{s}": float(s == name) for s in EXEC_STATUSES}}
    if type_ is not None:
        if int(type_) not in GTRANSEVAL_TYPES:
            raise ValueError(f"G-TransEval type must be one of {GTRANSEVAL_TYPES}, got {type_!r}")
        values[f"ca_type{int(type_)}"] = passed
    return values


def execution_metric_names(with_types: bool = True) -> list[str]:
    """Every key :func:`execution_metrics` can emit (what a task YAML must declare in ``metric_list``)."""
    names = ["ca", *[f"exec_status_{s}" for s in EXEC_STATUSES]]
    return names + ([f"ca_type{t}" for t in GTRANSEVAL_TYPES] if with_types else [])


def ca_breakdown(statuses: Sequence[object], types: Sequence[int | None] | None = None) -> dict[str, float]:
    """Corpus CA with the status mix and (when types are given) per-type CA, from a list of per-document statuses."""
    if not statuses:
        raise ValueError("CA of an empty list of documents is undefined")
    if types is not None and len(types) != len(statuses):
        raise ValueError(f"{len(statuses)} statuses but {len(types)} types")
    names = [status_name(s) for s in statuses]
    counts = Counter(names)
    out = {"ca": counts["passed"] / len(names)}
    out.update({f"exec_status_{s}": counts[s] / len(names) for s in EXEC_STATUSES})
    if types is not None:
        for t in sorted({int(t) for t in types if t is not None}):
            members = [n for n, ty in zip(names, types, strict=False) if ty is not None and int(ty) == t]
            out[f"ca_type{t}"] = sum(n == "passed" for n in members) / len(members)
    return out


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
