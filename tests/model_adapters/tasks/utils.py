"""Loaders and scoring for the adapter tests' local tasks (loaded by lm-eval from this folder by path)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import datasets

from codeeff.model_adapters.measure.generation_stats import cost_metrics

HERE = Path(__file__).resolve().parent


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (HERE / name).read_text().splitlines() if line.strip()]


def load_hellaswag_format(**_: object) -> dict[str, datasets.Dataset]:
    """Rows in HellaSwag's schema (written for these tests; not HellaSwag data)."""
    return {"validation": datasets.Dataset.from_list(_rows("hellaswag_format.jsonl"))}


def _clean(text: str) -> str:
    text = text.strip().replace(" [title]", ". ")
    return re.sub(r"\[.*?\]", "", text).replace("  ", " ")


def process_hellaswag_docs(dataset: datasets.Dataset) -> datasets.Dataset:
    """HellaSwag's preprocessing: query = activity label + context, choices = endings, gold = int(label)."""

    def one(doc: dict) -> dict:
        ctx = doc["ctx_a"] + " " + doc["ctx_b"].capitalize()
        return {
            "query": _clean(doc["activity_label"] + ": " + ctx),
            "choices": [_clean(ending) for ending in doc["endings"]],
            "gold": int(doc["label"]),
        }

    return dataset.map(one)


def load_code_prompts(**_: object) -> dict[str, datasets.Dataset]:
    return {"test": datasets.Dataset.from_list(_rows("code_prompts.jsonl"))}


def process_generation(doc: dict, results: list) -> dict:
    """Exact match of the first line plus the per-sample cost figures the model attached to the generation."""
    prediction = results[0]
    first = lambda s: s.strip().splitlines()[0] if s.strip() else ""  # noqa: E731
    return {"exact_match": float(first(prediction) == first(doc["reference"])), **cost_metrics(prediction)}
