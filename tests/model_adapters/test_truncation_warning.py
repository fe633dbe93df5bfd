"""lm-eval's truncation warnings are shown once per run on every codeeff-hf path, including a plain
``simple_evaluate`` (the demo's path), not once per batch or request."""

from __future__ import annotations

import logging

import pytest
from test_lm_end_to_end import _evaluate

from codeeff.messages import OncePerRun

HF_LOGGER = "lm_eval.models.huggingface"
# task -> (warning prefix, max_length short enough to truncate its contexts, long enough for its continuations)
CASES = {
    "codeeff_adapters_gen": ("Left truncation applied", 12),
    "codeeff_adapters_mc": ("Combined length of context", 48),
}


def _once_filter() -> OncePerRun | None:
    return next((f for f in logging.getLogger(HF_LOGGER).filters if isinstance(f, OncePerRun)), None)


@pytest.mark.parametrize("task", sorted(CASES))
def test_truncation_warnings_are_shown_once_per_run(task, tiny_dirs, caplog):
    prefix, max_length = CASES[task]
    before = _once_filter().counts[prefix] if _once_filter() else 0
    with caplog.at_level(logging.WARNING, logger=HF_LOGGER):
        _evaluate(f"pretrained={tiny_dirs('llama')},max_length={max_length},energy=off", tasks=[task])
    once = _once_filter()
    assert once is not None, "codeeff-hf did not install the once-per-run filter"
    shown = [r for r in caplog.records if r.name == HF_LOGGER and r.getMessage().startswith(prefix)]
    assert once.counts[prefix] - before >= 2  # several batches / requests were truncated
    assert len(shown) == (1 if before == 0 else 0)
