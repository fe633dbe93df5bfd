"""Leaderboards and the regression gate: lm-eval results directories -> CSV / Markdown / Pareto plots -> verdicts.

Layers (each file does one thing):

- :mod:`.load` finds ``results_*.json`` files and their ``samples_<task>_*.jsonl`` and reads them defensively (runs
  made without codeeff, or by older versions, lack blocks; nothing here assumes they exist).
- :mod:`.schema` turns one (results file, task) into one row of the documented, stable column schema (its column
  names and the schema version every row carries come from :mod:`codeeff.contracts.records`).
- :mod:`.samples` reads per-sample metric values; :mod:`.bootstrap` puts paired-bootstrap intervals on differences.
- :mod:`.table` merges rows into an existing CSV (idempotently), computes deltas against a baseline, writes CSV and
  Markdown atomically (:mod:`.files`); :mod:`.plot` draws quality-vs-cost Pareto charts.
- :mod:`.rules` (defaults derived from the metric directions and figure kinds of :mod:`codeeff.contracts`) and
  :mod:`.compare` are the regression gate's policy and engine; :mod:`.cli` and
  :mod:`.regress_cli` are the ``codeeff leaderboard`` and ``codeeff regress`` commands.
"""
