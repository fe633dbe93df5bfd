"""``early_exit``: stop a decoder early per token (fixed depth or a dynamic policy), as a reversible runtime transform.

Spec keys (see :mod:`codeeff.model_adapters.spec`): ``early_exit`` (the policy, :mod:`.policy_syntax`),
``exit_layers`` (candidate depths, :mod:`.schedule`), ``kv_mode`` (K/V of skipped layers, :mod:`.kv_fill`),
``confidence_measure`` and ``exit_action`` (:mod:`.policies`), ``exit_adapters`` (per-exit adapters, :mod:`.adapters`).

Modules: :mod:`.builder` (``validate`` / ``build``), :mod:`.runtime` (the per-layer gates; :meth:`EarlyExit.exit_hidden`
is the one place an exit's hidden state is handed to the model's shared final norm + LM head),
:mod:`.kv_fill` (copy fill and deferred recompute), :mod:`.simulated` (loglikelihood exits from one full pass).
"""

from codeeff.model_adapters.early_exit.builder import build, validate
from codeeff.model_adapters.early_exit.policy_syntax import PolicySpec, parse_policy
from codeeff.model_adapters.early_exit.runtime import EarlyExit
from codeeff.model_adapters.early_exit.schedule import resolve_exit_depths, seed_exit_depths

__all__ = ["EarlyExit", "PolicySpec", "build", "parse_policy", "resolve_exit_depths", "seed_exit_depths", "validate"]
