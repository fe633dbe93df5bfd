"""User-facing messages: one clean error line, and per-run (not per-sample) warnings from lm-eval.

lm-eval's HF model logs "Left truncation applied ..." for every generation batch whose context is too long, and
"Combined length of context ..." for every scored request that is; over a few hundred samples that buries everything
else. :func:`install_once_per_run_filters` lets the first such warning through, counts
the rest, and logs one summary line when the process ends.
"""

from __future__ import annotations

import atexit
import logging
import re

_PREFIX = re.compile(r"^(?:codeeff(?:-hf)?\s*:\s*)?(?:error\s*:\s*)?", re.I)
# logger name -> message prefixes shown once per run
# (generation contexts; loglikelihood context + continuation, which lm-eval reports per request)
ONCE_PER_RUN: dict[str, tuple[str, ...]] = {
    "lm_eval.models.huggingface": ("Left truncation applied", "Combined length of context")
}


def error_line(exc: BaseException | str) -> str:
    """``codeeff: error: <message>`` without a doubled ``codeeff: error:`` from the message itself."""
    text = str(exc).strip() or exc.__class__.__name__
    return f"codeeff: error: {_PREFIX.sub('', text, count=1) or text}"


class OncePerRun(logging.Filter):
    """Pass the first record starting with each prefix; count the others and report the count at exit."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        super().__init__()
        self.prefixes = prefixes
        self.counts: dict[str, int] = dict.fromkeys(prefixes, 0)
        self.logger: logging.Logger | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for prefix in self.prefixes:
            if message.startswith(prefix):
                self.counts[prefix] += 1
                if self.counts[prefix] == 1:
                    record.msg = f"{message} (further occurrences in this run are counted, not shown)"
                    record.args = ()
                    return True
                return False
        return True

    def summary(self) -> None:
        for prefix, count in self.counts.items():
            if count > 1 and self.logger is not None:
                self.logger.removeFilter(self)
                self.logger.warning("%s: %d times in this run (only the first was shown)", prefix, count)


def install_once_per_run_filters() -> None:
    """Attach :class:`OncePerRun` to the loggers in :data:`ONCE_PER_RUN` (idempotent)."""
    for name, prefixes in ONCE_PER_RUN.items():
        logger = logging.getLogger(name)
        if any(isinstance(f, OncePerRun) for f in logger.filters):
            continue
        once = OncePerRun(prefixes)
        once.logger = logger
        logger.addFilter(once)
        atexit.register(once.summary)
