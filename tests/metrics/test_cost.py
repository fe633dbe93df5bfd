"""Per-sample cost metrics read from a codeeff-hf generation, as the tasks emit them."""

from __future__ import annotations

import pickle

from codeeff.contracts.cost import SAMPLE_COST_METRICS
from codeeff.metrics.cost import sample_cost_metrics
from codeeff.model_adapters.measure.generation_stats import GenerationWithStats


def test_measured_figures_are_emitted_unmeasured_ones_left_out():
    stats = {"flops": 12, "latency_s": 0.5, "gen_tokens": 3, "energy_j": None, "layers_per_token": 2.5, "other": 7}
    out = sample_cost_metrics(GenerationWithStats("x = 1", stats))
    assert out == {"flops": 12.0, "latency_s": 0.5, "gen_tokens": 3.0, "layers_per_token": 2.5}
    assert list(out) == [n for n in SAMPLE_COST_METRICS if n in out]  # the contract's order
    assert sample_cost_metrics("plain text") == {}


def test_a_replayed_generation_emits_nothing():
    replayed = pickle.loads(pickle.dumps(GenerationWithStats("x", {"flops": 1.0})))
    assert str(replayed) == "x" and sample_cost_metrics(replayed) == {}
