"""Architecture specs: the only per-family knowledge the adapters need (where layers, norms, heads and projections live).

Every transform (early exit, attention bypass, factorization) and the cost model reach into a Hugging Face model only
through an :class:`ArchSpec`, so a new family is one entry in :data:`SPECS`, never a forked modelling file. The spec
is chosen by ``config.model_type`` and validated against the loaded model by attribute probing
(:meth:`ArchSpec.check_model`), so a renamed attribute in a future transformers release fails loudly at load time
instead of silently mis-patching.

Layer indices are 0-based everywhere; "exit after k layers" means ``hidden_states[k]`` of ``output_hidden_states``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn


class UnsupportedArchitectureError(ValueError):
    """The model's family has no :class:`ArchSpec` (the message lists the supported families)."""


@dataclass(frozen=True)
class ArchSpec:
    """Where things live in one family's modules (attribute names relative to the noted parent)."""

    family: str
    model_types: tuple[str, ...]
    decoder_attr: str  # on the CausalLM: "model" (Llama family) or "model.decoder" (OPT)
    attn_norm_attr: str  # on a decoder layer: the norm applied to the attention input
    final_norm_attr: str  # on the decoder
    roles: dict[str, str]  # role -> dotted path inside a decoder layer
    attn_attr: str = "self_attn"
    layers_attr: str = "layers"
    head_pre_attrs: tuple[str, ...] = ()  # decoder modules applied after the final norm (OPT: project_out)
    embed_post_attrs: tuple[str, ...] = ()  # decoder modules applied after the embedding (OPT: project_in)
    softcap_config_attr: str | None = None  # Gemma2: config.final_logit_softcapping
    k_norm_attr: str | None = None  # Qwen3: per-head RMSNorm on keys
    rope: bool = True
    role_aliases: dict[str, str] = field(default_factory=dict)  # user-facing alias -> role (OPT names)

    # ----- module access -------------------------------------------------------------------------------------
    def decoder(self, model: nn.Module) -> nn.Module:
        return _get_path(model, self.decoder_attr)

    def layers(self, model: nn.Module) -> nn.ModuleList:
        return getattr(self.decoder(model), self.layers_attr)

    def attention(self, layer: nn.Module) -> nn.Module:
        return getattr(layer, self.attn_attr)

    def attn_norm(self, layer: nn.Module) -> nn.Module:
        return getattr(layer, self.attn_norm_attr)

    def final_norm(self, model: nn.Module) -> nn.Module | None:
        return getattr(self.decoder(model), self.final_norm_attr, None)

    def lm_head(self, model: nn.Module) -> nn.Module:
        return model.get_output_embeddings()

    def head_pre_modules(self, model: nn.Module) -> list[nn.Module]:
        decoder = self.decoder(model)
        return [m for m in (getattr(decoder, a, None) for a in self.head_pre_attrs) if m is not None]

    def embed_post_modules(self, model: nn.Module) -> list[nn.Module]:
        decoder = self.decoder(model)
        return [m for m in (getattr(decoder, a, None) for a in self.embed_post_attrs) if m is not None]

    def role_modules(self, layer: nn.Module) -> dict[str, nn.Module]:
        """Role -> the module currently installed at that role's path (after any factorization swap)."""
        return {role: _get_path(layer, path) for role, path in self.roles.items()}

    def role_parent(self, layer: nn.Module, role: str) -> tuple[nn.Module, str]:
        """(parent module, attribute name) of a role, for transforms that swap the module."""
        path = self.roles[self.canonical_role(role)]
        parent_path, _, attr = path.rpartition(".")
        return (_get_path(layer, parent_path) if parent_path else layer), attr

    def canonical_role(self, role: str) -> str:
        role = self.role_aliases.get(role, role)
        if role not in self.roles:
            known = sorted({*self.roles, *self.role_aliases})
            raise ValueError(f"{self.family} has no module role '{role}'; roles: {', '.join(known)}")
        return role

    # ----- computations the transforms share -----------------------------------------------------------------
    def head_logits(
        self, model: nn.Module, hidden: torch.Tensor, softcap: bool = True, token_ids: torch.Tensor | None = None
    ) -> torch.Tensor:
        """final norm -> (project_out) -> LM head -> (soft-capping): what the model's own tail does to a hidden state.

        ``softcap=False`` stops at the LM head's output (what the CausalLM soft-caps itself). ``token_ids``: only
        those rows of the LM head (the logits of those tokens, in that order; the other tokens are not computed).
        """
        norm = self.final_norm(model)
        h = norm(hidden) if norm is not None else hidden
        for module in self.head_pre_modules(model):
            h = module(h)
        head = self.lm_head(model)
        if token_ids is None:
            logits = head(h)
        else:
            bias = head.bias[token_ids] if getattr(head, "bias", None) is not None else None
            logits = nn.functional.linear(h, head.weight[token_ids], bias)
        return self.softcap(model, logits) if softcap else logits

    def softcap(self, model: nn.Module, logits: torch.Tensor) -> torch.Tensor:
        """The family's final-logit soft-capping (Gemma2), identity elsewhere."""
        cap = getattr(model.config, self.softcap_config_attr, None) if self.softcap_config_attr else None
        return torch.tanh(logits / cap) * cap if cap else logits

    def kv_project(
        self, layer: nn.Module, hidden: torch.Tensor, layer_kwargs: dict[str, Any]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Keys and values layer ``layer`` would cache for input ``hidden`` (its attention norm applied here).

        CALM's state-copy fill: the exit hidden state is projected with each skipped layer's own K/V weights (and
        its k-norm and rotary embedding), giving exactly the cache entry a real forward of that layer would write
        for that input. Shapes: ``[batch, kv_heads, tokens, head_dim]``.
        """
        attn = self.attention(layer)
        normed = self.attn_norm(layer)(hidden)
        shape = (*normed.shape[:-1], -1, attn.head_dim)
        keys = attn.k_proj(normed).view(shape)
        if self.k_norm_attr is not None:
            keys = getattr(attn, self.k_norm_attr)(keys)
        keys = keys.transpose(1, 2)
        values = attn.v_proj(normed).view(shape).transpose(1, 2)
        if self.rope:
            if layer_kwargs.get("position_embeddings") is None:
                from codeeff.model_adapters.hf_internals import internals_error

                raise internals_error("decoder layers no longer receive 'position_embeddings' (rotary cos, sin)")
            cos, sin = layer_kwargs["position_embeddings"]
            keys = keys * cos.unsqueeze(1) + _rotate_half(keys) * sin.unsqueeze(1)
        return keys, values

    # ----- static facts from the config (usable before weights load) -----------------------------------------
    def num_layers(self, config: Any) -> int:
        return int(config.num_hidden_layers)

    def role_shapes(self, config: Any) -> dict[str, tuple[int, int]]:
        """Role -> (in_features, out_features) of the dense module, from the config alone."""
        d = int(config.hidden_size)
        heads = int(config.num_attention_heads)
        head_dim = int(getattr(config, "head_dim", None) or d // heads)
        kv = int(getattr(config, "num_key_value_heads", None) or heads) * head_dim
        if self.family == "opt":
            ffn = int(config.ffn_dim)
            return {"q": (d, d), "k": (d, d), "v": (d, d), "o": (d, d), "fc1": (d, ffn), "fc2": (ffn, d)}
        ffn = int(config.intermediate_size)
        return {
            "q": (d, heads * head_dim),
            "k": (d, kv),
            "v": (d, kv),
            "o": (heads * head_dim, d),
            "gate": (d, ffn),
            "up": (d, ffn),
            "down": (ffn, d),
        }

    def check_model(self, model: nn.Module) -> None:
        """Probe the loaded model for every attribute this spec relies on (clear error if transformers changed)."""
        missing = []
        try:
            layers = self.layers(model)
        except AttributeError:
            raise UnsupportedArchitectureError(
                f"{type(model).__name__}: expected decoder layers at '{self.decoder_attr}.{self.layers_attr}'"
            ) from None
        layer = layers[0]
        for path in (self.attn_attr, self.attn_norm_attr, *self.roles.values()):
            try:
                _get_path(layer, path)
            except AttributeError:
                missing.append(f"layer.{path}")
        attn = self.attention(layer)
        for attr in ("layer_idx", "head_dim"):
            if not hasattr(attn, attr):
                missing.append(f"layer.{self.attn_attr}.{attr}")
        if missing:
            raise UnsupportedArchitectureError(
                f"{type(model).__name__} does not match the '{self.family}' spec (missing: {', '.join(missing)}); "
                "the installed transformers version may have renamed modules"
            )
        from codeeff.model_adapters import hf_internals

        hf_internals.check_model(model, self.decoder(model), list(layers), self.attn_attr)


def _get_path(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


_LLAMA_ROLES = {
    "q": "self_attn.q_proj",
    "k": "self_attn.k_proj",
    "v": "self_attn.v_proj",
    "o": "self_attn.o_proj",
    "gate": "mlp.gate_proj",
    "up": "mlp.up_proj",
    "down": "mlp.down_proj",
}


def _llama_like(family: str, model_types: tuple[str, ...], **extra: Any) -> ArchSpec:
    return ArchSpec(
        family=family,
        model_types=model_types,
        decoder_attr="model",
        attn_norm_attr="input_layernorm",
        final_norm_attr="norm",
        roles=dict(_LLAMA_ROLES),
        **extra,
    )


SPECS: dict[str, ArchSpec] = {
    spec.family: spec
    for spec in (
        _llama_like("llama", ("llama",)),
        _llama_like("mistral", ("mistral",)),
        _llama_like("qwen2", ("qwen2",)),
        _llama_like("qwen3", ("qwen3",), k_norm_attr="k_norm"),
        _llama_like("gemma2", ("gemma2",), softcap_config_attr="final_logit_softcapping"),
        ArchSpec(
            family="opt",
            model_types=("opt",),
            decoder_attr="model.decoder",
            attn_norm_attr="self_attn_layer_norm",
            final_norm_attr="final_layer_norm",
            roles={
                "q": "self_attn.q_proj",
                "k": "self_attn.k_proj",
                "v": "self_attn.v_proj",
                "o": "self_attn.out_proj",
                "fc1": "fc1",
                "fc2": "fc2",
            },
            head_pre_attrs=("project_out",),
            embed_post_attrs=("project_in",),
            rope=False,
            role_aliases={"out_proj": "o", "up": "fc1", "down": "fc2", "q_proj": "q", "k_proj": "k", "v_proj": "v"},
        ),
    )
}


def supported_families() -> list[str]:
    return sorted(SPECS)


def spec_for_config(config: Any) -> ArchSpec:
    """The spec for a transformers config (by ``model_type``), or a clear error listing the supported families."""
    model_type = getattr(config, "model_type", None)
    for spec in SPECS.values():
        if model_type in spec.model_types:
            if spec.family == "opt" and not getattr(config, "do_layer_norm_before", True):
                raise UnsupportedArchitectureError(
                    "OPT-350m-style post-norm layers (do_layer_norm_before=False) are not supported: an exit hidden "
                    "state is not followed by a final norm there"
                )
            return spec
    raise UnsupportedArchitectureError(
        f"model_type '{model_type}' is not supported by codeeff's adapters; supported families: "
        f"{', '.join(supported_families())}"
    )


def spec_for_model(model: nn.Module) -> ArchSpec:
    """The spec for a loaded model, validated against its modules."""
    spec = spec_for_config(model.config)
    spec.check_model(model)
    return spec
