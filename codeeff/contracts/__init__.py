"""The shared vocabulary of codeeff: the names every package agrees on, defined once (standard library only).

Modules (import the one you need; none imports anything outside the standard library):

- :mod:`.cost` — per-sample cost metrics (:data:`~.cost.SAMPLE_COST_METRICS`) and run-level efficiency figures
  (:data:`~.cost.EFFICIENCY_FIGURE_NAMES`), each with its unit and direction.
- :mod:`.metrics` — quality and auxiliary metric names with their direction (:func:`~.metrics.higher_is_better`).
- :mod:`.execution` — sandbox statuses, G-TransEval verdict kinds and the ``sandbox_error`` policy.
- :mod:`.languages` — the programming languages and their display names.
- :mod:`.task_names` — how a task name is derived when a document does not carry one.
- :mod:`.records` — names and versions of the record schemas codeeff writes (leaderboard CSV, efficiency record,
  variant spec, regression verdict) and the leaderboard's column groups.

Task YAML ``metric_list``s, the regression gate's default rules and the leaderboard schema are checked against this
package by ``tests/contracts``; a test also fails when another module spells out a second copy of one of these lists.
"""
