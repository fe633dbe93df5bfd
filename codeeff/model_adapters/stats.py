"""The per-request cost names tasks read, at the import path tasks use today.

Tasks must not import the model layer; they switch to the shared vocabulary package (``codeeff.contracts``) once it
holds these names, and this module goes away then. The definitions live in :mod:`.measure.generation_stats`.
"""

from codeeff.model_adapters.measure.generation_stats import COST_METRICS, GenerationWithStats, cost_metrics

__all__ = ["COST_METRICS", "GenerationWithStats", "cost_metrics"]
