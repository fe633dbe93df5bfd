"""The early-exit seed's Gymnasium environment (§5): one episode = one token walking the exit points.

Observation: the (standardised) hidden state at the current exit point. Actions: 0 = continue, 1 = exit (the
``exit_action`` default of ``codeeff-hf``). Rewards eq. 5.1 (exit) and 5.2 (continue), with ℓ_opt the first exit
point whose top-1 equals the final layer's (the final layer itself when none does). Distances are counted in exit
points — the seed sets an ℓ_opt that is not an exit point to the next exit point — and divided by the number of exit
points so every penalty lies in [-1, 0), as the seed scales them.
The early-exit seed: Briem, "Towards Resource Efficient Code Generation through Dynamic Early Exits in LLMs" (TU Wien,
2025), §5.1 (environment) and §5.2 (rewards).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch

from codeeff.train.observations import Observations

CONTINUE, EXIT = 0, 1


def exit_reward(k: int, opt: int, correct: bool, n: int, alpha: float, beta: float, epsilon: float) -> float:
    """Eq. 5.1."""
    if correct and k == opt:
        return 1.0
    if correct:
        return -(k - opt) * alpha / n
    if k < opt:
        return -(opt - k) * beta / n
    return -epsilon


def continue_reward(k: int, opt: int, n: int, gamma: float) -> float:
    """Eq. 5.2 (ℓ_next = ℓ_curr + 1)."""
    return 1.0 if k < opt else -(k + 1 - opt) * gamma / n


class ExitEnv(gym.Env):
    metadata: dict = {"render_modes": []}

    def __init__(
        self,
        obs: Observations,
        mean: torch.Tensor,
        std: torch.Tensor,
        alpha: float = 0.5,
        beta: float = 0.5,
        gamma: float = 0.5,
        epsilon: float = 0.1,
        seed: int = 0,
    ):
        super().__init__()
        self.states = ((obs.hidden.float() - mean) / std).numpy().astype(np.float32)
        self.correct = obs.correct.numpy()
        self.optimal = obs.optimal_index().numpy()
        self.n_exits = len(obs.depths)
        self.coeff = (alpha, beta, gamma, epsilon)
        dim = self.states.shape[-1]
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, shape=(dim,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self._rng = np.random.default_rng(seed)
        self._token = 0
        self._k = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self._token = int(self._rng.integers(len(self.states)))
        self._k = 0
        return self.states[self._token, 0], {}

    def step(self, action: int):
        alpha, beta, gamma, epsilon = self.coeff
        k, opt, n = self._k, int(self.optimal[self._token]), self.n_exits
        if int(action) == EXIT:
            reward = exit_reward(k, opt, bool(self.correct[self._token, k]), n, alpha, beta, epsilon)
            return self.states[self._token, k], reward, True, False, {"exit": k}
        reward = continue_reward(k, opt, n, gamma)
        self._k += 1
        if self._k >= n:  # past the last exit point: the token runs to the final layer
            return self.states[self._token, k], reward, True, False, {"exit": n}
        return self.states[self._token, self._k], reward, False, False, {}
