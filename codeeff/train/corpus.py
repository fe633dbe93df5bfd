"""Training text from CodeXGLUE rows the evaluation tasks do not use, and token blocks for the trainers.

The local data (``codexglue/unixcoder_line_dev/{py150,javaCorpus}/dev.json``, through the data resolver) is what
``codexglue_line_*`` and ``*_ctx*`` tasks read, in file order, and ``--limit N`` takes their first N documents. The
producers therefore train on the **last** rows of the file and validate on the rows just before them; the record
says which rows (``train_rows``, ``val_rows`` as [start, end) of the file's row index = the tasks' document ``id``).
An evaluation never sees a training row as long as its documents' ids stay below ``heldout_from``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch

LANGUAGES = {"python": "py150", "java": "javaCorpus"}


@dataclass
class Corpus:
    train: list[str]
    val: list[str]
    record: dict[str, Any]


def load_corpus(
    language: str,
    n_train: int,
    n_val: int,
    data_dir: str | None = None,
    prompt_format: str = "code",
    skip_last: int = 0,
) -> Corpus:
    """``n_train`` training and ``n_val`` validation texts from the end of the language's row file, before its last
    ``skip_last`` rows (rows another producer trained on, say)."""
    from codeeff.formats import codexglue
    from codeeff.formats.codexglue_rows import SourceConfig, load_token_files

    if language not in LANGUAGES:
        raise ValueError(f"--language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    if n_train < 1 or n_val < 0 or skip_last < 0:
        raise ValueError(
            f"need at least 1 training row, ≥ 0 validation rows and ≥ 0 skipped rows, got {n_train} / {n_val} / "
            f"{skip_last}"
        )
    config = SourceConfig.from_metadata({"data_dir": data_dir} if data_dir else {})
    files, origin = load_token_files(config, language)
    total = len(files)
    if n_train + n_val + skip_last > total // 2:
        raise ValueError(
            f"{n_train} + {n_val} rows (+ {skip_last} skipped) would take more than half of {origin.path} "
            f"({total} rows); keep the first half for evaluation"
        )
    literals = codexglue.load_literals(language, config.data_dir)
    end_train = total - skip_last
    start_val = end_train - n_train - n_val
    start_train = end_train - n_train

    def render(rows: list[list[str]]) -> list[str]:
        return [codexglue.render(" ".join(tokens), language, prompt_format, literals) for tokens in rows]

    record = {
        "dataset": LANGUAGES[language],
        "language": language,
        **{k: v for k, v in asdict(origin).items() if k in ("source", "split", "path", "sha256")},
        "rows_in_file": total,
        "train_rows": [start_train, end_train],
        "val_rows": [start_val, start_train],
        "skipped_rows": [end_train, total],
        "heldout_from": start_val,
        "prompt_format": prompt_format,
        "rule": "evaluation documents must have id < heldout_from (with the dev rows: --limit ≤ heldout_from)",
    }
    return Corpus(render(files[start_train:end_train]), render(files[start_val:start_train]), record)


def load_for(args: Any) -> Corpus:
    """:func:`load_corpus` with a producer's common options (``--language``, ``--train-rows``, ``--val-rows``,
    ``--data-dir``, ``--skip-last-rows``)."""
    return load_corpus(args.language, args.train_rows, args.val_rows, args.data_dir, skip_last=args.skip_last_rows)


def token_blocks(tokenizer: Any, texts: list[str], seq_len: int, max_blocks: int | None = None) -> torch.Tensor:
    """Texts joined by EOS, tokenized, cut into ``[n, seq_len]`` blocks (the tail shorter than a block is dropped)."""
    if seq_len < 2:
        raise ValueError(f"--seq-len must be ≥ 2, got {seq_len}")
    eos = tokenizer.eos_token_id
    ids: list[int] = []
    for item in texts:
        ids.extend(tokenizer(item, add_special_tokens=False)["input_ids"])
        if eos is not None:
            ids.append(eos)
        if max_blocks is not None and len(ids) >= seq_len * max_blocks:
            break
    n = len(ids) // seq_len
    if max_blocks is not None:
        n = min(n, max_blocks)
    if n == 0:
        raise ValueError(f"the training texts hold {len(ids)} tokens: not one block of {seq_len}")
    return torch.tensor(ids[: n * seq_len], dtype=torch.long).view(n, seq_len)


class BlockDataset(torch.utils.data.Dataset):
    """Causal-LM examples (labels = inputs; the model shifts) for the HF Trainer."""

    def __init__(self, blocks: torch.Tensor):
        self.blocks = blocks

    def __len__(self) -> int:
        return self.blocks.shape[0]

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        block = self.blocks[index]
        return {"input_ids": block, "labels": block}
