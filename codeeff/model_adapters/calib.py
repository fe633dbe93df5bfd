"""Calibration text for transforms that need data (NOSE layer selection, activation-aware SVD).

``calib=`` is either a file -- JSONL (one object per line; its ``text`` field, else its first string field), a JSON
list of strings/objects, or plain text (cut into consecutive 2000-character documents) -- or ``task:NAME``, the
documents of an lm-eval task (codeeff's tasks or the built-ins) rendered with the task's own ``doc_to_text``, read
through the source :func:`set_task_text_source` installed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

_TEXT_CHUNK = 2000


def _doc_text(obj: Any) -> str | None:
    if isinstance(obj, str):
        return obj
    if isinstance(obj, dict):
        if isinstance(obj.get("text"), str):
            return obj["text"]
        return next((v for v in obj.values() if isinstance(v, str) and v.strip()), None)
    return None


def _file_texts(path: Path, n: int) -> list[str]:
    if path.suffix.lower() == ".jsonl":
        texts = []
        with open(path) as fh:
            for line in fh:
                if line.strip() and (text := _doc_text(json.loads(line))):
                    texts.append(text)
                    if len(texts) >= n:
                        break
        return texts
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text())
        if not isinstance(data, list):
            raise ValueError(f"calib: {path} must hold a JSON list of strings or objects")
        return [t for t in (_doc_text(d) for d in data) if t][:n]
    text = path.read_text()
    return [text[i : i + _TEXT_CHUNK] for i in range(0, len(text), _TEXT_CHUNK)][:n]


# How ``task:NAME`` becomes texts. The model layer does not import tasks: the top layer (``import codeeff``) installs
# codeeff.tasks.documents.task_texts here, the way it registers codeeff-hf with lm-eval.
TaskTexts = Callable[[str, int], list[str]]
_task_text_source: TaskTexts | None = None


def set_task_text_source(source: TaskTexts | None) -> None:
    """Install the function ``(task name, n) -> texts`` that resolves ``calib=task:NAME``."""
    global _task_text_source
    _task_text_source = source


def load_calibration_texts(calib: str, n: int) -> list[str]:
    """Up to ``n`` calibration documents from ``calib`` (a file, or ``task:NAME``)."""
    if n < 1:
        raise ValueError(f"calib_n must be >= 1, got {n}")
    if calib.startswith("task:"):
        if _task_text_source is None:
            raise ValueError(f"calib={calib}: no task text source is installed (import codeeff first)")
        texts = _task_text_source(calib[len("task:") :], n)
    else:
        path = Path(calib).expanduser()
        if not path.is_file():
            raise ValueError(f"calib: file not found: {calib}")
        texts = _file_texts(path, n)
    if not texts:
        raise ValueError(f"calib: no documents in {calib}")
    return texts


def encode_batches(tokenizer: Any, texts: list[str], max_tokens: int, batch_size: int, device: str):
    """Left-padded ``(input_ids, attention_mask)`` batches of at most ``max_tokens`` tokens per text."""
    if tokenizer is None:
        raise ValueError("calibration needs a tokenizer")
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        for start in range(0, len(texts), batch_size):
            enc = tokenizer(
                texts[start : start + batch_size],
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=max_tokens,
            )
            yield enc["input_ids"].to(device), enc["attention_mask"].to(device)
    finally:
        tokenizer.padding_side = side
