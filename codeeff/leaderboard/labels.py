"""Short, human names for leaderboard rows: a variant's label from its spec summary, a model's name without paths.

The spec summary (``early_exit=confidence:0.95, exit_layers=[26]``) is exact but long; tables and plots show
``EE conf≥0.95@26``, ``bypass cos×4``, ``ASVD qk 50%`` or ``dense``, and keep the full summary and hash for hover
text, footnotes and the CSV. Local model paths (``/root/.cache/.../SmolLM2-135M-Instruct``) are machine details:
rows show the folder name, hub ids stay as they are; an absolute path inside a value (``classifier:/work/x/c.pt:0.8``,
as in results written before variant summaries named files by content) is cut to its last component the same way.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

DENSE = "dense"
BASELINE_SUMMARY = "baseline (no transform)"
_PART = re.compile(r",\s+(?=[A-Za-z_]+=)")
# An absolute or home path inside a value: at the start or after a separator, not a URL's ``//``.
_EMBEDDED_PATH = re.compile(r"(?<![^:;=,\s\[(])~?/(?!/)[^\s:;,\"'\])]+")
_EXIT_POLICY = {"confidence": "conf≥", "saturation": "sat≥"}
_BYPASS = {"cosine": "cos", "nose": "NOSE"}
_FACTORIZE = {"svd": "SVD", "globalfact": "GlobaLFact", "mass": "MASS"}


def parse_summary(summary: str | None) -> dict[str, str]:
    """``k=v, k=[a,b]`` -> {k: v}; the baseline summary (or nothing) -> {}."""
    if not summary or summary.strip() == BASELINE_SUMMARY:
        return {}
    out: dict[str, str] = {}
    for part in _PART.split(summary.strip()):
        key, _, value = part.partition("=")
        out[key.strip()] = value.strip()
    return out


def _layers(value: str | None) -> str:
    return (value or "").strip("[]")


def _roles(targets: str) -> str:
    """``[q,k]`` -> ``qk`` (one-letter roles run together); ``[gate,up]`` -> ``gate,up``."""
    roles = [t.strip() for t in targets.strip("[]").split(",") if t.strip()]
    return "".join(roles) if all(len(r) == 1 for r in roles) else ",".join(roles)


def _early_exit(keys: dict[str, str]) -> str | None:
    policy = keys.get("early_exit")
    if not policy or policy == "none":
        return None
    kind, _, arg = policy.partition(":")
    layers = _layers(keys.get("exit_layers"))
    if kind == "fixed":
        return f"EE fixed@{arg}"
    if kind in _EXIT_POLICY:
        return f"EE {_EXIT_POLICY[kind]}{arg}" + (f"@{layers}" if layers else "")
    threshold = arg.rsplit(":", 1)[-1] if ":" in arg else ""
    return f"EE {kind}" + (f"≥{threshold}" if threshold else "") + (f"@{layers}" if layers else "")


def _bypass(keys: dict[str, str]) -> str | None:
    selector = keys.get("attn_bypass")
    if not selector or selector == "none":
        return None
    kind, _, count = selector.partition(":")
    mode = " blend" if keys.get("bypass_mode") == "blend" else ""
    if kind in _BYPASS:
        return f"bypass {_BYPASS[kind]}×{count}{mode}"
    return f"bypass L{_layers(selector)}{mode}"


def _factorize(keys: dict[str, str]) -> str | None:
    method = keys.get("factorize")
    if (not method or method == "none") and keys.get("factors"):
        return "factors " + PurePosixPath(keys["factors"]).name
    if not method or method == "none":
        return None
    name = _FACTORIZE.get(method, method)
    if method == "svd" and keys.get("act_aware", "").lower() == "true":
        name = "ASVD"
    parts = [name]
    targets = keys.get("factorize_targets")
    if targets:
        parts.append(_roles(targets))
    if keys.get("param_ratio"):
        parts.append(f"{float(keys['param_ratio']) * 100:g}%")
    elif keys.get("rank"):
        parts.append(f"r{keys['rank']}")
    return " ".join(parts)


def short_variant(summary: str | None) -> str:
    """``dense`` for the unmodified model, else the transforms' short names joined by `` + `` (stack order)."""
    keys = parse_summary(summary)
    if not keys:
        return DENSE
    parts = [p for p in (_factorize(keys), _bypass(keys), _early_exit(keys)) if p]
    return " + ".join(parts) if parts else str(summary)


def model_name(model: Any) -> str | None:
    """A local path -> its last component (no home folders in shared tables); a hub id (``org/name``) unchanged."""
    if model is None:
        return None
    text = str(model)
    if text.startswith(("/", "~", "./", "../")) or PureWindowsPath(text).drive:
        return PurePosixPath(text.replace("\\", "/")).name or text
    return text


def without_paths(text: Any) -> Any:
    """Every absolute (or ``~``) path inside a text cut to its last component; anything but text unchanged."""
    if not isinstance(text, str):
        return text
    return _EMBEDDED_PATH.sub(lambda m: PurePosixPath(m.group(0)).name or m.group(0), text)
