"""Task names that are derived rather than read from a YAML: the G-TransEval direction name and the fallback
used when a document does not carry its task's name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GTRANSEVAL_PREFIX = "gtranseval_"


def translation_task_name(source: str, target: str) -> str:
    """``gtranseval_<source>2<target>``: the G-TransEval task of one translation direction."""
    return f"{GTRANSEVAL_PREFIX}{source}2{target}"


def task_name_of(doc: Mapping[str, Any]) -> str:
    """The task a G-TransEval document belongs to: its ``task_name``, else its direction's task."""
    return doc.get("task_name") or translation_task_name(doc["source_lang"], doc["target_lang"])
