"""The ``early_exit`` value: ``none | fixed:L | confidence:T | saturation:T | classifier:PATH[:T] | policy:PATH:T``.

Syntax only (no model, no files): the variant key table checks the text with it before anything loads, and the
builder reads the parsed :class:`PolicySpec`.
"""

from __future__ import annotations

from dataclasses import dataclass

from codeeff.model_adapters.errors import VariantSpecError


@dataclass(frozen=True)
class PolicySpec:
    kind: str
    threshold: float | None = None
    depth: int | None = None  # fixed:L
    path: str | None = None  # classifier / policy file


def parse_policy(value: str) -> PolicySpec:
    """``none | fixed:L | confidence:T | saturation:T | classifier:PATH[:T] | policy:PATH:T``."""
    text = str(value).strip()
    kind, _, rest = text.partition(":")
    kind = kind.lower()
    try:
        if kind == "none" and not rest:
            return PolicySpec("none")
        if kind == "fixed":
            return PolicySpec("fixed", depth=int(rest))
        if kind in ("confidence", "saturation"):
            return PolicySpec(kind, threshold=float(rest))
        if kind in ("classifier", "policy") and rest:
            path, sep, thr = rest.rpartition(":")
            if sep and _is_number(thr):
                return PolicySpec(kind, threshold=float(thr), path=path)
            if kind == "policy":
                raise ValueError("policy needs a threshold: policy:PATH:T")
            return PolicySpec(kind, threshold=0.5, path=rest)
    except ValueError as exc:
        detail = f" ({exc})" if "threshold" in str(exc) else ""
        raise VariantSpecError(f"early_exit: cannot parse {value!r}{detail}") from None
    raise VariantSpecError(
        f"early_exit: expected one of none | fixed:L | confidence:T | saturation:T | classifier:PATH[:T] | "
        f"policy:PATH:T, got {value!r}"
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
