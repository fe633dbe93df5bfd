"""The places that state the vocabulary in their own form agree with codeeff.contracts: task YAML metric_lists,
the regression gate's default rules, the leaderboard schema, the metric registry, the sandbox and G-TransEval."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from codeeff.contracts import cost, execution, languages, metrics, records, task_names
from codeeff.tasks import tasks_dir


class _TaskYamlLoader(yaml.SafeLoader):
    """lm-eval task YAML: ``!function module.name`` becomes the string ``module.name``."""


_TaskYamlLoader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))


def _metric_lists() -> dict[str, list[dict]]:
    out = {}
    for path in sorted(tasks_dir().rglob("*")):
        if path.is_file() and (path.suffix == ".yaml" or path.name.endswith("_yaml")):
            document = yaml.load(path.read_text(encoding="utf-8"), Loader=_TaskYamlLoader) or {}
            if document.get("metric_list"):
                out[str(path.relative_to(tasks_dir()))] = document["metric_list"]
    return out


METRIC_LISTS = _metric_lists()


def test_task_yamls_with_metric_lists_are_found():
    names = set(METRIC_LISTS)
    assert {"codexglue/_line_template.yaml", "codexglue/_ctx_template.yaml"} <= names
    assert "gtranseval/yaml/_executed_template_yaml" in names


@pytest.mark.parametrize("name", sorted(METRIC_LISTS))
def test_metric_list_directions_are_the_contracts(name: str):
    wrong = {
        entry["metric"]: entry["higher_is_better"]
        for entry in METRIC_LISTS[name]
        if entry["higher_is_better"] != metrics.higher_is_better(entry["metric"])
    }
    assert not wrong, f"{name}: higher_is_better differs from codeeff.contracts for {wrong}"


@pytest.mark.parametrize("name", sorted(METRIC_LISTS))
def test_metric_lists_declare_every_sample_cost_metric_in_order(name: str):
    declared = [e["metric"] for e in METRIC_LISTS[name] if e["metric"] in cost.SAMPLE_COST_METRICS]
    assert declared == list(cost.SAMPLE_COST_METRICS)
    assert all(e["aggregation"] == "mean" for e in METRIC_LISTS[name] if e["metric"] in cost.SAMPLE_COST_METRICS)


def test_generated_gtranseval_yamls_are_the_committed_ones():
    from codeeff.tasks.gtranseval.generate_yaml import YAML_DIR, files

    generated = files()
    committed = {p.name: p.read_text(encoding="utf-8") for p in Path(YAML_DIR).iterdir() if p.is_file()}
    assert generated == committed, "re-run python -m codeeff.tasks.gtranseval.generate_yaml"


def test_gtranseval_task_names_come_from_the_contract():
    from codeeff.tasks.gtranseval.generate_yaml import files

    for src in languages.LANGUAGES:
        for tgt in languages.LANGUAGES:
            if src != tgt:
                assert f"{task_names.translation_task_name(src, tgt)}.yaml" in files()
    doc = {"source_lang": "java", "target_lang": "python"}
    assert task_names.task_name_of(doc) == "gtranseval_java2python"
    assert task_names.task_name_of(doc | {"task_name": "gtranseval_java2python_type2"}) == (
        "gtranseval_java2python_type2"
    )


def test_default_rules_follow_the_contract():
    from codeeff.leaderboard.rules import DEFAULT_RULES, RuleSet

    rules = RuleSet(DEFAULT_RULES, {})
    judged = {
        name: rule for name, rule in DEFAULT_RULES.items() if rule.max_drop is not None or rule.max_drop_rel is not None
    }
    for name, rule in judged.items():
        if "*" not in name:
            assert rule.higher_is_better == metrics.higher_is_better(records_name(name)), name
    for metric in metrics.QUALITY:
        assert rules.for_metric(metric.name) is not None, metric.name
    for figure in cost.EFFICIENCY:
        rule = rules.for_metric(figure.name)
        assert rule is not None and rule.machine_dependent == figure.machine_dependent
    for figure in cost.SAMPLE_COST:
        rule = rules.for_metric(records.SAMPLE_COST_PREFIX + figure.name)
        assert rule is not None and rule.machine_dependent == figure.machine_dependent
    assert rules.for_metric("exec_status_wrong_answer").gate is False


def records_name(column: str) -> str:
    """The metric a leaderboard column holds (``sample_flops`` holds the per-sample ``flops``)."""
    if column.startswith(records.SAMPLE_COST_PREFIX):
        return column.removeprefix(records.SAMPLE_COST_PREFIX)
    return column


def test_fraction_tolerance_follows_the_scale():
    from codeeff.leaderboard.rules import DEFAULT_RULES

    for metric in metrics.QUALITY:
        rule = DEFAULT_RULES[metric.name]
        if metric.scale in metrics.FRACTION_SCALES:
            assert rule.max_drop == 0.02, metric.name
        elif metric.scale == "0-100":
            assert rule.max_drop == 2.0, metric.name


def test_leaderboard_columns_are_the_contracts():
    from codeeff.leaderboard.schema import columns_for

    columns = columns_for(set())
    assert columns[0] == records.SCHEMA_COLUMN
    expected_fixed = [*records.IDENTITY_COLUMNS, *records.PROVENANCE_COLUMNS]
    assert columns[1 : 1 + len(expected_fixed)] == expected_fixed
    quality = [c for c in columns if c in metrics.QUALITY_METRICS]
    assert quality == list(metrics.QUALITY_METRICS)
    start = columns.index(records.COST_COLUMNS[0])
    assert columns[start : start + len(records.COST_COLUMNS)] == list(records.COST_COLUMNS)
    assert list(records.COST_METRIC_COLUMNS) == [
        *cost.EFFICIENCY_FIGURE_NAMES,
        *(records.SAMPLE_COST_PREFIX + n for n in cost.SAMPLE_COST_METRICS),
    ]
    training = list(records.TRAINING_COST_COLUMNS)
    after_cost = columns[start + len(records.COST_COLUMNS) :]
    assert after_cost[: len(training) + 1] == [*training, records.BASELINE_COLUMN]
    assert training == list(records.TRAINING_COST_FIELDS)


def test_training_cost_is_provenance_not_a_metric():
    """What a variant cost to make has no delta and no regression rule; it is not a metric or a cost figure."""
    from codeeff.leaderboard.rules import DEFAULT_RULES, RuleSet
    from codeeff.leaderboard.schema import columns_for, cost_metric_columns_of, metric_columns_of

    columns = set(records.TRAINING_COST_COLUMNS)
    assert not columns & set(metric_columns_of(columns)) and not columns & set(cost_metric_columns_of(columns))
    assert not [c for c in columns_for(columns) if c.startswith(records.DELTA_PREFIX + "train")]
    assert all(RuleSet(DEFAULT_RULES, {}).for_metric(column) is None for column in columns)
    assert not columns & (set(cost.EFFICIENCY_FIGURE_NAMES) | set(metrics.QUALITY_METRICS))


def test_registry_directions_are_the_contracts():
    from codeeff.metrics.registry import metrics as registry

    wrong = {n: s.higher_is_better for n, s in registry().items() if s.higher_is_better != metrics.higher_is_better(n)}
    assert not wrong
    assert {n: s.scale for n, s in registry().items()} == {n: metrics.QUALITY_BY_NAME[n].scale for n in registry()}


def test_sandbox_statuses_are_the_contracts():
    from codeeff.sandbox.model import Status

    assert tuple(s.value for s in Status) == execution.SANDBOX_STATUSES
    assert execution.status_value(Status.KILLED) == "killed"
    assert execution.status_value("killed:SIGSEGV") == "killed"


def test_gtranseval_verdict_kinds_are_the_contracts():
    from codeeff.tasks.gtranseval import task, verdict

    assert tuple(task.EXEC_STATUSES) == execution.VERDICT_KINDS
    kinds = {status: str(getattr(kind, "value", kind)) for status, kind in verdict.SANDBOX_KINDS.items()}
    assert kinds == execution.SANDBOX_TO_VERDICT
    assert execution.verdict_kind("memory") == execution.OTHER
    assert execution.verdict_kind("cpu_limit") == execution.TIMEOUT


def test_sandbox_error_policy():
    assert execution.is_harness_fault(None, "sandbox_error")
    assert not execution.is_harness_fault("timeout", None)
    assert execution.SANDBOX_ERROR_SIGNATURE == "sandbox_error:excluded"


def test_unknown_names_are_refused():
    with pytest.raises(KeyError, match="not a metric"):
        metrics.higher_is_better("accuracy_typo")
    with pytest.raises(ValueError, match="unknown language"):
        languages.check_language("rust")
    with pytest.raises(ValueError, match="unknown execution status"):
        metrics.exec_status_metric("exploded")
    with pytest.raises(KeyError, match="unknown efficiency figure"):
        cost.efficiency_unit("flops_total")
