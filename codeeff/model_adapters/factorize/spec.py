"""What a factorized variant is: method, target roles and layers, rank or parameter ratio; checked against a config.

Everything here is validated from the model *config* alone, so a bad spec (unknown role, layer out of range, rank
larger than a matrix) fails with one clear message before any weights are loaded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from codeeff.model_adapters.arch import ArchSpec
from codeeff.model_adapters.spec import VariantSpecError

METHODS = ("svd", "globalfact", "mass")


class FactorizeSpecError(VariantSpecError):
    """A factorization spec that cannot apply to this model (the message says which argument and why)."""


@dataclass(frozen=True)
class FactorizeSpec:
    """A factorized variant.

    ``rank``: one int for every role, or ``{role: rank}``; ``ratio``: the fraction of each targeted matrix's
    parameters the factors may hold (svd: per matrix, r = ⌊ratio·m·n/(m+n)⌋; globalfact: per group, counting the
    shared global factor once). Exactly one of them for svd/globalfact; neither for mass.
    ``layers``: the targeted decoder layers (``None`` = all). ``init``: GlobaL Fact's global-factor init (1 or 2).
    ``act_aware``: svd only, ASVD scaling by calibration activations ``mean|x|^act_alpha``.
    """

    method: str
    roles: tuple[str, ...]
    layers: tuple[int, ...] | None = None
    rank: int | dict[str, int] | None = None
    ratio: float | None = None
    init: int = 2
    act_aware: bool = False
    act_alpha: float = 0.5

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["roles"] = list(self.roles)
        data["layers"] = None if self.layers is None else list(self.layers)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FactorizeSpec:
        data = dict(data)
        data["roles"] = tuple(data["roles"])
        if data.get("layers") is not None:
            data["layers"] = tuple(data["layers"])
        return cls(**data)

    def rank_for(self, role: str) -> int | None:
        if isinstance(self.rank, dict):
            return self.rank.get(role)
        return self.rank

    def validate(self, arch: ArchSpec, config: Any) -> FactorizeSpec:
        """Canonicalise role names (OPT aliases) and check everything against ``config``; returns the clean spec."""
        if self.method not in METHODS:
            raise FactorizeSpecError(f"factorize method '{self.method}' is unknown; methods: {', '.join(METHODS)}")
        if not self.roles:
            raise FactorizeSpecError("factorize needs at least one target role")
        try:
            roles = tuple(dict.fromkeys(arch.canonical_role(r) for r in self.roles))
        except ValueError as err:
            raise FactorizeSpecError(f"factorize target: {err}") from None
        n_layers = arch.num_layers(config)
        layers = self.layers
        if layers is not None:
            bad = [i for i in layers if not 0 <= i < n_layers]
            if bad or not layers:
                raise FactorizeSpecError(
                    f"factorize layers {bad or '[]'} out of range: the model has {n_layers} layers (0..{n_layers - 1})"
                )
            layers = tuple(sorted(set(layers)))
        rank = self.rank
        if isinstance(rank, dict):
            try:
                rank = {arch.canonical_role(r): v for r, v in rank.items()}
            except ValueError as err:
                raise FactorizeSpecError(f"factorize rank: {err}") from None
        clean = FactorizeSpec(self.method, roles, layers, rank, self.ratio, self.init, self.act_aware, self.act_alpha)
        clean._check_sizes(arch, config)
        return clean

    def _check_sizes(self, arch: ArchSpec, config: Any) -> None:
        if self.method == "mass":
            if self.rank is not None or self.ratio is not None:
                raise FactorizeSpecError("mass shares averaged matrices and takes no rank or ratio")
            if self.layers is not None and len(self.layers) < 2:
                raise FactorizeSpecError("mass needs at least two layers to share a matrix across")
            return
        if (self.rank is None) == (self.ratio is None):
            raise FactorizeSpecError(f"{self.method} needs exactly one of rank= or ratio=")
        if self.ratio is not None and not 0 < self.ratio <= 1:
            raise FactorizeSpecError(f"param_ratio must be in (0, 1], got {self.ratio}")
        if self.method == "globalfact" and self.init not in (1, 2):
            raise FactorizeSpecError(f"globalfact init must be 1 or 2, got {self.init}")
        if self.act_aware and self.method != "svd":
            raise FactorizeSpecError("activation-aware scaling (act_aware) applies to svd only")
        if not 0 < self.act_alpha <= 1:
            raise FactorizeSpecError(f"act_alpha must be in (0, 1], got {self.act_alpha}")
        shapes = arch.role_shapes(config)
        for role in self.roles:
            rank = self.rank_for(role)
            if self.rank is not None and rank is None:
                raise FactorizeSpecError(f"factorize rank has no entry for role '{role}'")
            if rank is None:
                continue
            n_in, n_out = shapes[role]
            # a shared global factor G (r×n) may use the whole input space; a per-matrix SVD cannot exceed min(m, n)
            limit = n_in if self.method == "globalfact" else min(n_in, n_out)
            if not isinstance(rank, int) or not 1 <= rank <= limit:
                raise FactorizeSpecError(
                    f"factorize rank {rank} for role '{role}' is out of range: its matrix is {n_out}×{n_in}, "
                    f"so 1 ≤ rank ≤ {limit} for {self.method}"
                )
