"""Result records codeeff writes or reads: their schema names and versions, and the leaderboard's column groups.

Every record that leaves a process names its schema, so a reader can refuse a record it does not understand:

- :data:`LEADERBOARD_SCHEMA` — the leaderboard CSV; every row carries it in the :data:`SCHEMA_COLUMN` column.
- :data:`EFFICIENCY_SCHEMA` — the run-level efficiency record (``results["config"]["efficiency"]``).
- :data:`VARIANT_SCHEMA` — a variant spec file (``spec.json``).
- :data:`REGRESS_SCHEMA` — the regression gate's JSON verdict.
- :data:`RESULTS_BLOCK` — the key of codeeff's block in lm-eval's results (:data:`RESULTS_BLOCK_KEYS`).

Leaderboard columns, in order: :data:`SCHEMA_COLUMN`, :data:`IDENTITY_COLUMNS`, :data:`PROVENANCE_COLUMNS`, quality
metrics (:data:`codeeff.contracts.metrics.QUALITY_METRICS`, each followed by its ``_stderr`` column), other metrics,
:data:`COST_COLUMNS`, :data:`TRAINING_COST_COLUMNS`, :data:`BASELINE_COLUMN`, then the deltas.
"""

from __future__ import annotations

from codeeff.contracts.cost import EFFICIENCY_FIGURE_NAMES, SAMPLE_COST_METRICS

LEADERBOARD_SCHEMA = "codeeff.leaderboard/1"
EFFICIENCY_SCHEMA = "codeeff.efficiency/1"
VARIANT_SCHEMA = "codeeff.variant/1"
REGRESS_SCHEMA = "codeeff.regress/1"

RESULTS_BLOCK = "codeeff"
RESULTS_BLOCK_KEYS = ("version", "signatures", "data", "sandbox", "environment")
EFFICIENCY_RECORD = "efficiency"  # key under results["config"]

SCHEMA_COLUMN = "schema"
ROW_KEY = ("model", "spec_hash", "task")
IDENTITY_COLUMNS: tuple[str, ...] = (
    "model",
    "variant",
    "spec_hash",
    "task",
    "model_backend",
    "model_args",
    "codeeff_version",
    "lm_eval_version",
    "transformers_version",
    "torch_version",
    "device",
    "dtype",
    "batch_size",
    "date",
    "env_fingerprint",
)
# What decides whether two rows may be compared at all (the regression gate checks these), and where they came from.
PROVENANCE_COLUMNS: tuple[str, ...] = (
    "task_version",
    "n_shot",
    "split",
    "dataset",
    "data_sha256",
    "task_hash",
    "limit",
    "n_samples",
    "gen_kwargs",
    "metric_signatures",
    "sandbox",
    "results_file",
    "samples_file",
)
# Per-sample cost means are stored as sample_<metric> (a run-level figure may share the metric's name).
SAMPLE_COST_PREFIX = "sample_"
COST_STATUS_COLUMNS: tuple[str, ...] = ("energy_status", "energy_reason", "cost_status", "cache_used")
COST_METRIC_COLUMNS: tuple[str, ...] = (
    *EFFICIENCY_FIGURE_NAMES,
    *(SAMPLE_COST_PREFIX + name for name in SAMPLE_COST_METRICS),
)
COST_COLUMNS: tuple[str, ...] = (*COST_METRIC_COLUMNS, *COST_STATUS_COLUMNS)
# What the variant cost to make: the totals of the efficiency record's variant.training_cost (the codeeff train
# records behind the variant), column -> key. Provenance of the variant, not a figure of the run: no deltas, no
# regression rule. Empty for a variant nothing trained, or whose cost is unknown (never 0).
TRAINING_COST_KEY = "training_cost"  # under the efficiency record's "variant"
TRAINING_COST_FIELDS: dict[str, str] = {"train_wall_s": "wall_s", "train_tokens": "tokens_seen"}
TRAINING_COST_COLUMNS: tuple[str, ...] = tuple(TRAINING_COST_FIELDS)
# Efficiency figures beyond the contract's list (e.g. flops_total, exit_layer_mean) are kept under this prefix.
EXTRA_FIGURE_PREFIX = "eff_"
DELTA_PREFIX = "delta_"
BASELINE_COLUMN = "baseline"
STDERR_SUFFIX = "_stderr"

# The headline columns of a short summary table (the demo prints it); every other figure stays in the full CSV.
HEADLINE_COLUMNS: tuple[str, ...] = (
    "task", "variant", "ca", "codebleu", "bleu_cxg", "edit_similarity", "exact_match_cxg", "compression_ratio",
    "flops_per_token", "layers_per_token", "tokens_per_s", "latency_s_mean",
)  # fmt: skip
