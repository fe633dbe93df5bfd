"""The context-fraction tasks' split of a file into context and reference span."""

from __future__ import annotations

from codeeff.tasks.codexglue.context_task import split_file


def test_context_split_counts_code_tokens():
    tokens = [f"t{i}" for i in range(100)]
    context, reference = split_file(tokens, 0.2, 15, 512)
    assert context == tokens[:20] and reference == tokens[20:35]
    context, _ = split_file(tokens, 0.6, 15, 8)
    assert context == tokens[52:60]  # only the last 8 context tokens kept (left-truncated)
    assert split_file(tokens[:30], 0.6, 15, 512) == ([], [])  # 18 + 15 > 30: skipped
