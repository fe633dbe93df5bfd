"""``attn_bypass``: remove (identity) or degenerate (blend) the self-attention of chosen decoder layers at runtime.

Spec keys (see :mod:`codeeff.model_adapters.spec`): ``attn_bypass`` = an explicit layer list | ``nose:N`` (Candi's
NOSE greedy transfer-entropy selection, Algorithm 1) | ``cosine:N`` (the N layers whose attention changes the
residual stream least); ``bypass_mode`` = ``identity`` (f = x, attention not computed; the default) | ``seed2x``
(f = 2x: the attention-bypass seed's "Attn ← I", the attention output replaced by its input before the residual add;
attention not computed; = blend with M = 0, s = 2) | ``blend`` (f = M·Attn(x) + (s − M)·x, Candi eq. 3.10 with input
multiplier s; ``blend_m`` = M, default 0, ``input_scale`` = s, default 2); ``calib`` / ``calib_n`` = calibration
texts for ``nose``/``cosine``. NOSE scores each candidate with the variant's own mode, so ``attn_bypass=nose:N``
selects under ``identity`` unless ``bypass_mode`` says otherwise.

Mechanics in :mod:`.runtime`, selection in :mod:`.selection` / :mod:`.nose`.
The attention-bypass seed: Candi, "Do LLMs really need so much Attention?" (Sapienza University of Rome, 2024);
Algorithm 1 in §3.2.3, eq. 3.10 in §3.3.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from codeeff.model_adapters.arch import ArchSpec
from codeeff.model_adapters.bypass.runtime import BypassSet
from codeeff.model_adapters.spec import VariantSpecError

DEFAULT_BLEND_M = 0.0
DEFAULT_INPUT_SCALE = 2.0


# Named modes: (M, s). identity: f = x; seed2x: f = 2x (the seed's "Attn <- I" through the residual add).
NAMED_MODES = {"identity": (0.0, 1.0), "seed2x": (0.0, 2.0)}


def _mode_params(options: dict[str, Any]) -> tuple[str, float, float]:
    """(mode, M, s) from the options; the named modes fix M and s and take no blend parameters."""
    mode = options.get("bypass_mode", "identity")
    if mode in NAMED_MODES:
        given = [k for k in ("blend_m", "input_scale") if k in options]
        if given:
            raise VariantSpecError(f"{', '.join(given)}: only meaningful with bypass_mode=blend")
        return mode, *NAMED_MODES[mode]
    return mode, float(options.get("blend_m", DEFAULT_BLEND_M)), float(options.get("input_scale", DEFAULT_INPUT_SCALE))


def validate(options: dict[str, Any], config: Any, arch: ArchSpec) -> None:
    """Check the attn_bypass keys against the config, before any weights load."""
    selector = options.get("attn_bypass")
    n_layers = arch.num_layers(config)
    _mode_params(options)
    if isinstance(selector, str):
        method, _, count = selector.partition(":")
        if not 1 <= int(count) <= n_layers:
            raise VariantSpecError(f"attn_bypass: {method} needs 1 ≤ N ≤ {n_layers} (the model's layers), got {count}")
        if not options.get("calib"):
            raise VariantSpecError(f"attn_bypass={selector} selects layers on calibration data: pass calib=<file>")
        return
    layers = list(selector or [])
    bad = [i for i in layers if not 0 <= i < n_layers]
    if not layers or bad:
        raise VariantSpecError(
            f"attn_bypass: layer(s) {bad or layers} out of range: the model has {n_layers} layers (0..{n_layers - 1})"
        )
    if len(set(layers)) != len(layers):
        raise VariantSpecError(f"attn_bypass: duplicate layers in {layers}")


class BypassTransform:
    """The ``attn_bypass`` transform over a fixed layer set (selection, if any, already done by :func:`build`)."""

    name = "attn_bypass"

    def __init__(
        self, arch: ArchSpec, layers: list[int], mode: str, blend_m: float, input_scale: float, selection: dict
    ):
        self.arch = arch
        self.layers = sorted(layers)
        self.mode = mode
        self.blend_m = blend_m
        self.input_scale = input_scale
        self.selection = selection
        self._set: BypassSet | None = None

    def apply(self, model: nn.Module) -> None:
        if self._set is not None:
            raise RuntimeError("attn_bypass is already applied")
        self._set = BypassSet(model, self.arch, self.layers, self.blend_m, self.input_scale).apply()

    def restore(self) -> None:
        if self._set is not None:
            self._set.restore()
            self._set = None

    def release(self) -> bool:
        """Forget the attention modules (and branch norms) the bypass removed from the model."""
        return self._set.release() if self._set is not None else False

    def describe(self) -> dict[str, Any]:
        return {
            "layers": list(self.layers),
            "mode": self.mode,
            "blend_m": self.blend_m,
            "input_scale": self.input_scale,
            "attention_computed": self.blend_m != 0.0,
            "kv": "shadow B×1×T×1 K/V per skipped layer" if self.blend_m == 0.0 else "full",
            "selection": self.selection,
        }


def calibration_batches(options: dict[str, Any], context: Any) -> list[dict[str, Any]]:
    """The calibration token batches as ``{"input_ids", "attention_mask"}`` dicts (materialised: NOSE reuses them)."""
    if getattr(context, "calib", None) is None:
        context.calib = options.get("calib")
    return [
        {"input_ids": ids, "attention_mask": mask} for ids, mask in context.calibration_batches(options.get("calib_n"))
    ]


def build(options: dict[str, Any], model: nn.Module, arch: ArchSpec, context: Any) -> BypassTransform:
    """Select the layers (calibrating if nose/cosine) and return the un-applied transform."""
    validate(options, model.config, arch)
    mode, blend_m, input_scale = _mode_params(options)
    selector = options["attn_bypass"]
    if not isinstance(selector, str):
        return BypassTransform(arch, list(selector), mode, blend_m, input_scale, {"method": "explicit"})

    from tqdm.auto import tqdm

    from codeeff.model_adapters.bypass.nose import top_similarity
    from codeeff.model_adapters.bypass.selection import attention_cosine, nose_layers

    method, _, count_text = selector.partition(":")
    count = int(count_text)
    batches = calibration_batches(options, context)
    n_layers = len(arch.layers(model))
    info: dict[str, Any] = {"method": method, "calib": options.get("calib"), "calib_batches": len(batches)}
    if method == "cosine":
        similarity = attention_cosine(model, arch, batches)
        layers = top_similarity(similarity, count, range(n_layers))
        info["cosine"] = similarity
    else:
        evaluations = sum(n_layers - r for r in range(count))
        with tqdm(total=evaluations, desc=f"NOSE {count} rounds", unit="eval") as bar:
            result = nose_layers(model, arch, batches, count, range(n_layers), blend_m, input_scale, bar.update)
        layers = result.selected
        info["nose"] = result.as_dict()
    return BypassTransform(arch, layers, mode, blend_m, input_scale, info)
