"""Variant specs: which transforms to apply, from a YAML/JSON file or inline ``--model_args`` keys (same keys).

One flat key space serves both forms, so ``--model_args pretrained=m,early_exit=fixed:8`` and a file containing
``early_exit: fixed:8`` describe the same variant and get the same hash. Parsing and validation happen before any
weights load: unknown keys, malformed values, layers out of range, ranks above a module's dimensions and missing files
all raise one :class:`VariantSpecError` naming the problem.

A variant's hash depends on what it computes, not on where its files sit: a key that names a file (the exit
classifier or policy of ``early_exit``, ``exit_adapters``, ``factors``, a ``calib`` file) enters the hash as the file's
sha256 (a folder: a digest of its files' relative names and contents), so the same artifacts in another checkout give
the same hash. The summary names such a file by its name and the first 8 hex digits of that digest
(``exit_classifier.pt@3f1c9a07``), never by its local path. ``training`` (how the variant was made) is not hashed.

Lists survive lm-eval's comma splitting: ``exit_layers=[4,6,8]`` works from the CLI (lm-eval keeps bracketed commas),
``exit_layers=4;6;8``, ``4 6 8``, ``4-12:2`` (range with step) and ``seed`` work everywhere, a JSON ``--model_args``
object may hold real lists, and fragments produced by the naive ``k=v,k=v`` splitter of ``simple_evaluate`` (the
stray ``"6": ""`` entries) are glued back onto the preceding key by :func:`rejoin_comma_split`.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codeeff.contracts.records import VARIANT_SCHEMA
from codeeff.data import sha256_file
from codeeff.model_adapters.early_exit.policy_syntax import parse_policy
from codeeff.model_adapters.errors import VariantSpecError

SPEC_SCHEMA = VARIANT_SCHEMA


# ----- value parsers -----------------------------------------------------------------------------------------------
def _as_str(key: str, value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise VariantSpecError(f"{key}: expected a string, got {value!r}")
    return str(value).strip()


def _as_int(key: str, value: Any) -> int:
    if isinstance(value, bool):
        raise VariantSpecError(f"{key}: expected an integer, got {value!r}")
    try:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        return int(str(value).strip()) if not isinstance(value, int | float) else int(value)
    except ValueError:
        raise VariantSpecError(f"{key}: expected an integer, got {value!r}") from None


def _as_float(key: str, value: Any) -> float:
    if isinstance(value, bool):
        raise VariantSpecError(f"{key}: expected a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise VariantSpecError(f"{key}: expected a number, got {value!r}") from None


def _as_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise VariantSpecError(f"{key}: expected true/false, got {value!r}")


_RANGE = re.compile(r"^(-?\d+)\s*(?:-|\.\.)\s*(-?\d+)(?::(\d+))?$")


def parse_int_list(key: str, value: Any, keywords: tuple[str, ...] = ()) -> list[int] | str:
    """A list of ints from a list, an int, or text (``4,6,8`` / ``[4,6,8]`` / ``4;6;8`` / ``4 6 8`` / ``4-12:2``).

    Ranges are inclusive (``4-12:2`` = 4,6,...,12). Words in ``keywords`` (e.g. ``seed``) are returned as-is.
    """
    if isinstance(value, bool):
        raise VariantSpecError(f"{key}: expected a list of integers, got {value!r}")
    if isinstance(value, int):
        return [value]
    if isinstance(value, list | tuple):
        return [_as_int(key, v) for v in value]
    text = str(value).strip()
    if text.lower() in keywords:
        return text.lower()
    text = text.strip("[]()")
    out: list[int] = []
    for part in (p for p in re.split(r"[,;|\s]+", text) if p):
        match = _RANGE.match(part)
        if match:
            start, stop, step = int(match[1]), int(match[2]), int(match[3] or 1)
            if step < 1 or stop < start:
                raise VariantSpecError(f"{key}: bad range '{part}' (want start-stop[:step], start <= stop)")
            out.extend(range(start, stop + 1, step))
        else:
            out.append(_as_int(key, part))
    if not out:
        hint = f" or one of: {', '.join(keywords)}" if keywords else ""
        raise VariantSpecError(f"{key}: expected a list of integers{hint}, got {value!r}")
    return out


def _rank(key: str, value: Any) -> int | dict[str, int]:
    """One rank for every target, or one per module role: ``64``, ``q:64,k:64,gate:256`` or a JSON object.

    Per-role ranks let attention and MLP projections (very different shapes) keep different ranks; a role the
    targets name but the mapping misses is an error at validation, before the weights load.
    """
    if isinstance(value, dict):
        return {_as_str(key, role).strip(): _as_int(f"{key}[{role}]", rank) for role, rank in value.items()}
    text = str(value).strip().strip("{}")
    if ":" not in text:
        return _as_int(key, value)
    ranks: dict[str, int] = {}
    for part in (p for p in re.split(r"[,;|\s]+", text) if p):
        role, sep, rank = part.partition(":")
        if not sep or not role:
            raise VariantSpecError(f"{key}: expected ROLE:RANK pairs like q:64,gate:256, got {value!r}")
        ranks[role.strip().strip("\"'")] = _as_int(f"{key}[{role}]", rank)
    return ranks


def parse_str_list(key: str, value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [_as_str(key, v) for v in value]
    return [p for p in re.split(r"[,;|\s]+", _as_str(key, value).strip("[]()")) if p]


def _choice(*choices: str) -> Callable[[str, Any], str]:
    def parse(key: str, value: Any) -> str:
        text = _as_str(key, value).lower()
        if text not in choices:
            raise VariantSpecError(f"{key}: expected one of {', '.join(choices)}, got {value!r}")
        return text

    return parse


def _layer_selector(key: str, value: Any) -> list[int] | str:
    """attn_bypass: an explicit layer list or ``nose:N`` / ``cosine:N``."""
    if isinstance(value, str) and re.match(r"^\s*[A-Za-z]", value):
        method, _, n = value.partition(":")
        method = method.strip().lower()
        if method not in ("nose", "cosine"):
            raise VariantSpecError(f"{key}: expected a layer list, nose:N or cosine:N, got {value!r}")
        return f"{method}:{_as_int(key, n)}"
    return parse_int_list(key, value)


def _exit_policy(key: str, value: Any) -> str:
    """early_exit: checked for syntax here (files and ranges are checked against the model later)."""
    text = _as_str(key, value)
    parse_policy(text)
    return text


# ----- the key table -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeyDef:
    owner: str  # "early_exit" | "attn_bypass" | "factorize" | "run" (measurement, not part of the variant)
    parse: Callable[[str, Any], Any]
    help: str
    in_hash: bool = True


TRANSFORM_MODULES: dict[str, str] = {
    "factorize": "codeeff.model_adapters.factorize",
    "attn_bypass": "codeeff.model_adapters.bypass",
    "early_exit": "codeeff.model_adapters.early_exit",
}
# Application order of the stack (weights, then attention swaps, then the depth gates).
TRANSFORM_ORDER = ("factorize", "attn_bypass", "early_exit")
# Keys whose presence (and not being "none") switches a transform on (saved factors alone imply factorize).
TRIGGER_KEYS = {"factorize": ("factorize", "factors"), "attn_bypass": ("attn_bypass",), "early_exit": ("early_exit",)}

KEYS: dict[str, KeyDef] = {
    # early exit
    "early_exit": KeyDef(
        "early_exit",
        _exit_policy,
        "none | fixed:L | confidence:T | saturation:T | classifier:PATH[:T] | policy:PATH:T",
    ),
    "exit_layers": KeyDef(
        "early_exit",
        lambda k, v: parse_int_list(k, v, ("seed", "all")),
        "candidate exit depths (layers run before the check): list, 'seed' or 'all'",
    ),
    "kv_mode": KeyDef("early_exit", _choice("copy", "recompute", "none"), "K/V of skipped layers"),
    "confidence_measure": KeyDef("early_exit", _choice("top1", "margin"), "softmax top-1 or top1-top2 margin"),
    "confidence_vocab": KeyDef(
        "early_exit", _as_str, "exit vocabulary file: the confidence softmax runs over its tokens only"
    ),
    "exit_action": KeyDef("early_exit", _as_int, "index of the 'exit' action in a policy's 2-way head (default 1)"),
    "exit_adapters": KeyDef("early_exit", _as_str, "per-exit adapters file (codeeff train exits --mode adapters)"),
    # a check on the file, not part of what the variant computes: the file enters the hash by its content anyway
    "exit_adapters_sha256": KeyDef(
        "early_exit", _as_str, "expected sha256 of the exit_adapters file (checked; not hashed)", False
    ),
    # attention bypass (model_adapters/bypass)
    "attn_bypass": KeyDef("attn_bypass", _layer_selector, "layer list | nose:N | cosine:N"),
    "bypass_mode": KeyDef("attn_bypass", _choice("identity", "seed2x", "blend"), "identity, seed2x or blend"),
    "blend_m": KeyDef("attn_bypass", _as_float, "blend: attention weight M"),
    "input_scale": KeyDef("attn_bypass", _as_float, "blend: input multiplier s (default 2)"),
    "calib": KeyDef("attn_bypass", _as_str, "calibration data: a text/JSONL file or task:NAME"),
    "calib_n": KeyDef("attn_bypass", _as_int, "number of calibration texts"),
    # factorization (model_adapters/factorize)
    "factorize": KeyDef("factorize", _choice("none", "svd", "globalfact", "mass"), "svd | globalfact | mass"),
    "rank": KeyDef("factorize", _rank, "rank of the factors: one for all targets, or per role (q:64,gate:256)"),
    "param_ratio": KeyDef("factorize", _as_float, "kept parameter ratio per module (instead of rank)"),
    "factorize_targets": KeyDef("factorize", parse_str_list, "module roles: q,k,v,o,gate,up,down (OPT: fc1,fc2)"),
    "factorize_layers": KeyDef("factorize", lambda k, v: parse_int_list(k, v), "layers (list or range a-b)"),
    "act_aware": KeyDef("factorize", _as_bool, "activation-aware scaling (needs calib)"),
    "global_init": KeyDef("factorize", _as_int, "globalfact init method 1 or 2"),
    "factors": KeyDef("factorize", _as_str, "load saved factors (spec + safetensors) from this path"),
    # measurement (not part of the variant's identity)
    "energy": KeyDef("run", _choice("auto", "off"), "energy meter: auto (zeus if a sensor exists) | off", False),
    "training": KeyDef("run", _as_str, "codeeff train record(s) of this variant (training.json; ';'-separated)", False),
    "keep_dense": KeyDef(
        "run", _as_bool, "keep the dense modules a transform replaced, so restore() works (default: freed)", False
    ),
}
# Keys read by more than one transform (calibration data is shared by NOSE selection and activation-aware SVD).
NONE_VALUED_KEYS = ("kv_mode",)  # keys with a value spelled "none" (early_exit=none is also the default)
SHARED_KEYS = {"calib": ("attn_bypass", "factorize"), "calib_n": ("attn_bypass", "factorize")}
FILE_KEY = "spec"  # a YAML/JSON spec file; its keys are the ones above
# keys whose value is a file or folder (calib: unless task:NAME)
FILE_KEYS = ("factors", "calib", "exit_adapters", "confidence_vocab")
POLICY_FILE_KINDS = ("classifier", "policy")  # early_exit kinds that name a file
SHORT_DIGEST = 8  # hex digits of a file's sha256 shown in the summary


@dataclass
class VariantSpec:
    """A parsed, normalized variant: ``values`` holds typed keys; ``files`` maps referenced files to sha256."""

    values: dict[str, Any] = field(default_factory=dict)
    source: str = "inline"
    files: dict[str, str] = field(default_factory=dict)

    def options(self, owner: str) -> dict[str, Any]:
        """The keys of one transform (shared keys included)."""
        return {k: v for k, v in self.values.items() if KEYS[k].owner == owner or owner in SHARED_KEYS.get(k, ())}

    def enabled(self) -> list[str]:
        """Transforms switched on, in stack order."""
        on = []
        for name in TRANSFORM_ORDER:
            values = [self.values.get(key) for key in TRIGGER_KEYS[name]]
            if any(v is not None and v != "none" for v in values):
                on.append(name)
        return on

    def identity(self) -> dict[str, Any]:
        """The variant's keys as given (measurement keys left out, file paths kept, so :meth:`to_dict` loads back)
        plus the referenced files' digests."""
        ident: dict[str, Any] = {k: v for k, v in sorted(self.values.items()) if KEYS[k].in_hash}
        if self.files:
            ident["files_sha256"] = dict(sorted(self.files.items()))
        return ident

    def _by_content(self, name_file: Callable[[str, str], str]) -> dict[str, Any]:
        """The hashed keys with each referenced file's path replaced by ``name_file(path, sha256)``."""
        out: dict[str, Any] = {}
        for key, value in sorted(self.values.items()):
            if not KEYS[key].in_hash:
                continue
            reference = _file_reference(key, value)
            if reference is not None and key in self.files:
                prefix, path, suffix = reference
                value = prefix + name_file(path, self.files[key]) + suffix
            out[key] = value
        return out

    @property
    def hash(self) -> str:
        """12 hex digits of the sha256 of the hashed keys, referenced files entering by content (not by path)."""
        content = self._by_content(lambda _path, digest: f"sha256:{digest}")
        blob = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def summary(self) -> str:
        """``k=v, ...`` of the hashed keys; a referenced file appears as ``NAME@<8 hex of its sha256>``."""
        content = self._by_content(lambda path, digest: f"{Path(path).name}@{digest[:SHORT_DIGEST]}")
        parts = [f"{k}={_fmt(v)}" for k, v in content.items()]
        return ", ".join(parts) if parts else "baseline (no transform)"

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SPEC_SCHEMA, **self.identity()}


def _fmt(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{v}" for k, v in sorted(value.items())) + "}"
    return "[" + ",".join(map(str, value)) + "]" if isinstance(value, list) else str(value)


def variant_keys() -> list[str]:
    return sorted(KEYS)


def rejoin_comma_split(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Undo lm-eval's naive comma split of ``k=v`` strings for list values.

    ``simple_parse_args_string("a=1,exit_layers=4,6,8")`` yields ``{"a": 1, "exit_layers": 4, "6": "", "8": ""}``;
    fragments (a "key" with an empty value that is not a variant key: ``6``, ``up`` in ``factorize_targets=gate,up``,
    ``gate:8`` in ``rank=q:4,gate:8``) are appended to the preceding key's value.
    """
    out: dict[str, Any] = {}
    last: str | None = None
    for key, value in kwargs.items():
        fragment = value == "" and str(key) not in KEYS
        if fragment and last is not None:
            out[last] = f"{out[last]},{key}"
            continue
        out[key] = value
        last = key
    return out


def _read_spec_file(path: str) -> dict[str, Any]:
    p = Path(path).expanduser()
    if not p.is_file():
        raise VariantSpecError(f"spec: spec file not found: {path}")
    text = p.read_text()
    try:
        if p.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # yaml/json syntax errors -> one clear message
        raise VariantSpecError(f"spec: cannot parse {path}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise VariantSpecError(f"spec: {path} must hold a mapping of keys, got {type(data).__name__}")
    data = dict(data)
    schema = data.pop("schema", None)
    if schema not in (None, SPEC_SCHEMA):
        raise VariantSpecError(f"spec: {path} has schema {schema!r}, expected {SPEC_SCHEMA}")
    data.pop("name", None)  # a human label, not part of the variant
    data.pop("files_sha256", None)  # written by to_dict(); recomputed from the files themselves
    return data


def parse_variant(raw: Mapping[str, Any] | None = None, spec_file: str | None = None) -> VariantSpec:
    """Parse inline keys (``raw``) over the keys of ``spec_file``; raise :class:`VariantSpecError` on any problem."""
    merged: dict[str, Any] = {}
    source = "inline"
    raw = dict(raw or {})
    spec_file = spec_file or raw.pop(FILE_KEY, None)
    if spec_file:
        merged.update(_read_spec_file(str(spec_file)))
        source = str(spec_file)
    merged.update(raw)
    unknown = sorted(k for k in merged if k not in KEYS)
    if unknown:
        raise VariantSpecError(f"unknown variant key(s): {', '.join(unknown)}; known keys: {', '.join(variant_keys())}")
    # lm-eval's k=v parser turns the text "none" into None; for keys where "none" is a value, None means "none"
    merged.update({key: "none" for key in NONE_VALUED_KEYS if key in merged and merged[key] is None})
    values = {key: KEYS[key].parse(key, value) for key, value in merged.items() if value is not None}
    spec = VariantSpec(values=values, source=source)
    spec.files = _referenced_files(spec)
    return spec


def _folder_sha256(path: Path) -> str:
    """Digest of a folder's files: each one's path relative to the folder and its sha256, in name order."""
    digest = hashlib.sha256()
    for child in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(child.relative_to(path).as_posix().encode() + b"\0" + sha256_file(child).encode() + b"\n")
    return digest.hexdigest()


def _file_reference(key: str, value: Any) -> tuple[str, str, str] | None:
    """(text before, path, text after) when a key's value names a file: ``classifier:PATH:T`` -> (``classifier:``,
    PATH, ``:T``); ``exit_adapters=PATH`` -> ("", PATH, ""). None for a value that names no file (``task:NAME``)."""
    if not isinstance(value, str) or not value:
        return None
    if key == "early_exit":
        kind, _, rest = value.partition(":")
        if kind.lower() not in POLICY_FILE_KINDS:
            return None
        path = parse_policy(value).path or ""
        return f"{kind}:", path, rest[len(path) :]
    if key in FILE_KEYS and not value.startswith("task:"):
        return "", value, ""
    return None


def content_sha256(path: Path) -> str:
    """sha256 of a file's bytes, or of a folder's files (relative names and contents, in name order)."""
    return _folder_sha256(path) if path.is_dir() else sha256_file(path)


def _referenced_files(spec: VariantSpec) -> dict[str, str]:
    """Files a spec points at (exit classifier/policy, saved factors, calibration file) -> sha256 (must exist)."""
    out: dict[str, str] = {}
    for key, value in spec.values.items():
        reference = _file_reference(key, value)
        if reference is None:
            continue
        path = Path(reference[1]).expanduser()
        if not path.exists():
            raise VariantSpecError(f"{key}: file not found: {path}")
        out[key] = content_sha256(path)  # saved factors are a folder: every file of it
    return out


def validate_against_config(spec: VariantSpec, config: Any) -> None:
    """Each enabled transform checks its options against the model config (before weights load)."""
    from codeeff.model_adapters.arch import spec_for_config

    arch = spec_for_config(config)
    for name in spec.enabled():
        module = transform_module(name)
        module.validate(spec.options(name), config, arch)


def transform_module(name: str):
    """The module implementing a transform (``validate`` / ``build``), with a clear error if it is missing."""
    try:
        module = importlib.import_module(TRANSFORM_MODULES[name])
    except ModuleNotFoundError as exc:
        if exc.name and TRANSFORM_MODULES[name].startswith(exc.name):
            raise VariantSpecError(f"{name}: this transform is not available in this codeeff build") from None
        raise
    for attr in ("validate", "build"):
        if not hasattr(module, attr):
            raise VariantSpecError(f"{name}: {TRANSFORM_MODULES[name]} does not define {attr}()")
    return module
