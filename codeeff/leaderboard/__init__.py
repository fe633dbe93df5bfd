"""Leaderboards and the regression gate: lm-eval results directories -> CSV / Markdown / Pareto plots -> verdicts.

Layers (each file does one thing):

- :mod:`.load` finds ``results_*.json`` files and their ``samples_<task>_*.jsonl`` and reads them defensively (runs
  made without codeeff, or by older versions, lack blocks; nothing here assumes they exist).
- :mod:`.schema` is the documented, stable column schema and turns one (results file, task) into one row.
- :mod:`.samples` reads per-sample metric values; :mod:`.bootstrap` puts paired-bootstrap intervals on differences.
- :mod:`.table` merges rows into an existing CSV (idempotently), computes deltas against a baseline, writes CSV and
  Markdown atomically; :mod:`.plot` draws quality-vs-cost Pareto charts.
- :mod:`.rules` and :mod:`.compare` are the regression gate's policy and engine; :mod:`.cli` and
  :mod:`.regress_cli` are the ``codeeff leaderboard`` and ``codeeff regress`` commands.
"""
