"""The glue from a real lm-eval 0.4.13 run: YAML `!function` aggregations, per-document metrics, null dataflow.

lm-eval's built-in ``dummy`` model answers every generation request with a fixed string, so the references below are
chosen so that the corpus has no dataflow (a one-line reference set): ``codebleu_dataflow`` must reach the results
JSON as ``null`` (never ``NaN``, which is not JSON) while every other metric is a number.
"""

from __future__ import annotations

import json
import math

import pytest

pytestmark = pytest.mark.slow  # end-to-end runs: `make test-fast` leaves them out

YAML = """
task: codeeff_metrics_glue_probe
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_text: "{{{{prompt}}}}"
doc_to_target: "{{{{reference}}}}"
generation_kwargs:
  until: ["\\n"]
  max_gen_toks: 8
process_results: !function probe_utils.process_results
metric_list:
{metrics}
metadata:
  version: 1
"""
CORPUS = ["codebleu", "codebleu_dataflow", "codebleu_compat", "bleu", "bleu_cxg", "chrf", "rougeL", "rougeL_code"]
SAMPLE = ["exact_match_plain", "edit_similarity", "levenshtein_distance", "token_accuracy"]
UTILS = f"""
from codeeff.metrics import lm_eval_glue as glue


def process_results(doc, results):
    prediction, reference = results[0], doc["reference"]
    item = glue.corpus_item(prediction=prediction, reference=reference, language="python")
    out = {{name: item for name in {CORPUS!r}}}
    out.update({{name: getattr(glue, name)(prediction=prediction, reference=reference) for name in {SAMPLE!r}}})
    return out
"""


def test_metrics_run_inside_lm_eval_and_null_survives_json(tmp_path):
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager
    from lm_eval.utils import make_table

    data = tmp_path / "docs.jsonl"
    rows = [{"prompt": "x = ", "reference": ref} for ref in ("print(x)", "foo(bar)", "lol")]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    metrics = (
        "\n".join(
            f"  - metric: {m}\n    aggregation: !function codeeff.metrics.lm_eval_glue.{m}\n    higher_is_better: true"
            for m in CORPUS
        )
        + "\n"
        + "\n".join(f"  - metric: {m}\n    aggregation: mean\n    higher_is_better: true" for m in SAMPLE)
    )
    (tmp_path / "probe.yaml").write_text(YAML.format(data=data, metrics=metrics))
    (tmp_path / "probe_utils.py").write_text(UTILS)

    results = simple_evaluate(
        model="dummy",
        tasks=["codeeff_metrics_glue_probe"],
        task_manager=TaskManager(include_path=str(tmp_path), include_defaults=False),
        bootstrap_iters=0,
    )
    values = results["results"]["codeeff_metrics_glue_probe"]
    assert values["codebleu_dataflow,none"] is None
    for name in CORPUS + SAMPLE:
        if name != "codebleu_dataflow":
            assert isinstance(values[f"{name},none"], float) and math.isfinite(values[f"{name},none"]), name
    assert values["exact_match_plain,none"] == 1 / 3  # the dummy model's "lol" matches the third reference
    text = json.dumps(values, allow_nan=False)  # strict JSON: would raise on NaN
    assert '"codebleu_dataflow,none": null' in text
    assert "codebleu_dataflow" in make_table(results)
