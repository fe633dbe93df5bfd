"""Where CodeXGLUE completion rows come from, read strictly, with their provenance.

Three sources (``cxg_source`` in ``--metadata``):

- ``dev`` (default; what CI uses): the UniXcoder line-level dev sets ``codexglue/unixcoder_line_dev/*/dev.json`` in
  the data dir — JSONL ``{"input", "gt"}``, references present. ``jsonl`` is the same format from any file
  (``cxg_data_file``), e.g. CodeXGLUE's ``evaluator/answers.json``.
- ``official``: CodeXGLUE's line-level ``test.json``, whose ``gt`` is empty upstream, plus the token-level
  ``test.txt`` the rows were cut from; references are rebuilt by ``id`` (row ``id`` is the line of ``test.txt``,
  off by one for most rows, so lines ``id-1``, ``id``, ``id+1`` are tried and the one the input is a prefix of wins).
- ``hf``: the Hugging Face datasets ``google/code_x_glue_cc_code_completion_line`` / ``..._token`` (network needed);
  the line set's ``gt`` is empty too, so references are rebuilt from the token set by prefix lookup.

Any malformed row is a :class:`DataFormatError` naming the file and line. Every loader reports an :class:`Origin`
that the tasks hand to :func:`codeeff.provenance.record_dataset`, so results say which split a score came from.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from codeeff.data import sha256_file
from codeeff.formats.codexglue_lines import LineRule, cut_line

SOURCES = ("dev", "official", "jsonl", "hf")
DATASET_FOLDER = {"python": "py150", "java": "javaCorpus"}
HF_LINE_DATASET = "google/code_x_glue_cc_code_completion_line"
HF_TOKEN_DATASET = "google/code_x_glue_cc_code_completion_token"
FILE_START, FILE_END = "<s>", "</s>"


class DataFormatError(ValueError):
    """A data row that cannot be used; the message names the file and the 1-based line."""


@dataclass
class Origin:
    """What :func:`codeeff.provenance.record_dataset` records for a task's documents."""

    source: str
    split: str
    path: str
    sha256: str | None
    rows: int
    notes: list[str] = field(default_factory=list)

    def as_record(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LineRow:
    """One line-completion example in CodeXGLUE tokens (``input`` without ``<s>``)."""

    id: int
    input: str
    gt: str


def strip_file_start(tokens: str) -> str:
    """Drop the leading ``<s>`` marker (a model should see code, not the dataset's file marker)."""
    tokens = tokens.strip()
    if tokens == FILE_START:
        return ""
    return tokens[len(FILE_START) + 1 :].lstrip() if tokens.startswith(FILE_START + " ") else tokens


def dev_file(root: Path, language: str) -> Path:
    return root / "codexglue" / "unixcoder_line_dev" / DATASET_FOLDER[language] / "dev.json"


def official_files(root: Path, language: str) -> tuple[Path, Path]:
    """Where the official test files go in a data dir (CodeXGLUE's own repository layout under ``codexglue/``)."""
    folder = DATASET_FOLDER[language]
    test_json = root / "codexglue" / "CodeCompletion-line" / "dataset" / folder / "line_completion" / "test.json"
    test_txt = root / "codexglue" / "CodeCompletion-token" / "dataset" / folder / "token_completion" / "test.txt"
    return test_json, test_txt


def _require_file(path: Path, what: str, hint: str) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path} ({hint})")
    return path


# ---------------------------------------------------------------------------------------------------------------
# Line-level JSONL ({"input", "gt"[, "id"]})
# ---------------------------------------------------------------------------------------------------------------


def read_line_rows(path: str | os.PathLike, *, require_gt: bool = True) -> list[LineRow]:
    """Read a CodeXGLUE line-completion JSONL file; any bad row is an error naming ``path:line``.

    Rows without an ``id`` are numbered by their 0-based position (the dev sets have none). Parsed files are kept
    per (path, size, mtime), so building several tasks on one file (a run and its re-scoring) reads it once.
    """
    stat = os.stat(path)
    return list(_read_line_rows(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns, require_gt))


@lru_cache(maxsize=4)
def _read_line_rows(path_str: str, _size: int, _mtime: int, require_gt: bool) -> tuple[LineRow, ...]:
    path = Path(path_str)
    rows: list[LineRow] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise DataFormatError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(obj, dict):
                raise DataFormatError(
                    f"{where}: expected a JSON object with 'input' and 'gt', got {type(obj).__name__}"
                )
            missing = [key for key in ("input", "gt") if key not in obj]
            if missing:
                raise DataFormatError(f"{where}: missing key(s) {', '.join(repr(k) for k in missing)}")
            text, gt = obj["input"], obj["gt"]
            if not isinstance(text, str) or not isinstance(gt, str):
                raise DataFormatError(f"{where}: 'input' and 'gt' must be strings")
            context = strip_file_start(text)
            if not context:
                raise DataFormatError(f"{where}: 'input' is empty")
            if require_gt and not gt.strip():
                raise DataFormatError(
                    f"{where}: 'gt' is empty — CodeXGLUE's public test.json hides its answers; use "
                    "cxg_source=official with the token-level test.txt to rebuild them"
                )
            row_id = obj.get("id", len(rows))
            if not isinstance(row_id, int) or isinstance(row_id, bool):
                raise DataFormatError(f"{where}: 'id' must be an integer, got {row_id!r}")
            rows.append(LineRow(id=row_id, input=context, gt=" ".join(gt.split())))
    if not rows:
        raise DataFormatError(f"{path}: no rows")
    return tuple(rows)


def read_token_lines(path: str | os.PathLike) -> list[str]:
    """The token-level ``test.txt`` (one tokenized file per line, ``<s> ... </s>``)."""
    with open(path, encoding="utf-8") as fh:
        return fh.read().split("\n")


def continuation_line(input_tokens: list[str], file_tokens: list[str], rule: LineRule) -> str | None:
    """The reference line that follows ``input_tokens`` in ``file_tokens``; ``None`` if the input is not a prefix."""
    n = len(input_tokens)
    if len(file_tokens) < n or file_tokens[:n] != input_tokens:
        return None
    line, _ = cut_line(file_tokens[n:], rule)
    return " ".join(line)


def _file_tokens(line: str) -> list[str]:
    """A token-level file line as tokens, without its ``<s>``/``</s>`` markers."""
    return [t for t in line.split() if t not in (FILE_START, FILE_END)]


def _fill_references(
    rows: list[LineRow], find: Callable[[LineRow], str | None], failure: Callable[[int, LineRow], str]
) -> list[LineRow]:
    """Rows with blank references completed by ``find``; a row it cannot complete is an error (``failure``)."""
    filled: list[LineRow] = []
    for position, row in enumerate(rows):
        gt = row.gt or find(row)
        if gt is None:
            raise DataFormatError(failure(position, row))
        filled.append(LineRow(id=row.id, input=row.input, gt=gt))
    return filled


def rebuild_by_id(rows: list[LineRow], files: list[str], rule: LineRule, where: tuple[str, str]) -> list[LineRow]:
    """Fill in the hidden references of the official test.json from the token-level file each row was cut from."""
    json_path, txt_path = where

    def find(row: LineRow) -> str | None:
        tokens = row.input.split()
        for candidate in (row.id - 1, row.id, row.id + 1):
            if 0 <= candidate < len(files):
                gt = continuation_line(tokens, _file_tokens(files[candidate]), rule)
                if gt is not None:
                    return gt
        return None

    return _fill_references(
        [LineRow(r.id, r.input, "") for r in rows],
        find,
        lambda position, row: (
            f"{json_path}: row {position + 1} (id {row.id}): its input is not a prefix of line "
            f"id-1, id or id+1 of {txt_path}; the two files do not belong together"
        ),
    )


class PrefixIndex:
    """Find the file a line-completion input was cut from, when rows carry no usable ``id`` (the HF line set)."""

    KEY_TOKENS = 24

    def __init__(self, files: Iterable[list[str]]):
        self.files = list(files)
        self._by_key: dict[tuple[str, ...], list[int]] = {}
        for index, tokens in enumerate(self.files):
            self._by_key.setdefault(tuple(tokens[: self.KEY_TOKENS]), []).append(index)

    def continuation(self, input_tokens: list[str], rule: LineRule) -> str | None:
        key = tuple(input_tokens[: self.KEY_TOKENS])
        candidates = self._by_key.get(key, [])
        if len(input_tokens) < self.KEY_TOKENS:  # a short input: its key is a prefix of the files' keys
            candidates = [i for k, ids in self._by_key.items() if k[: len(key)] == key for i in ids]
        for index in candidates:
            gt = continuation_line(input_tokens, self.files[index], rule)
            if gt is not None:
                return gt
        return None


# ---------------------------------------------------------------------------------------------------------------
# Hugging Face (network)
# ---------------------------------------------------------------------------------------------------------------


def _hf_load(name: str, config: str | None, split: str | None):
    import datasets

    try:
        return datasets.load_dataset(name, config, split=split)
    except Exception as exc:  # datasets raises many types (connection, missing config, ...)
        raise RuntimeError(f"cannot load Hugging Face dataset {name} ({config}, split {split}): {exc}") from exc


def hf_token_files(language: str, dataset: str = HF_TOKEN_DATASET, split: str = "test") -> Iterator[list[str]]:
    """Token lists of the HF token-level set's files (field ``code``), without ``<s>``."""
    for row in _hf_load(dataset, language, split):
        tokens = list(row["code"])
        yield tokens[1:] if tokens and tokens[0] == FILE_START else tokens


def hf_line_rows(
    language: str,
    rule: LineRule,
    line_dataset: str = HF_LINE_DATASET,
    token_dataset: str = HF_TOKEN_DATASET,
    split: str = "train",
) -> list[LineRow]:
    """The HF line set (its single split is named ``train``), references rebuilt from the token set where blank."""
    raw = list(_hf_load(line_dataset, language, split))
    rows = [
        LineRow(id=int(r.get("id", i)), input=strip_file_start(r["input"]), gt=" ".join(str(r.get("gt") or "").split()))
        for i, r in enumerate(raw)
    ]
    if all(row.gt for row in rows):
        return rows
    index = PrefixIndex(hf_token_files(language, token_dataset))
    return _fill_references(
        rows,
        lambda row: index.continuation(row.input.split(), rule),
        lambda position, row: (
            f"{line_dataset} ({language}, {split}) row {position}: its input is not a prefix of "
            f"any file of {token_dataset}; cannot rebuild its reference"
        ),
    )


# ---------------------------------------------------------------------------------------------------------------
# The source a task was configured with
# ---------------------------------------------------------------------------------------------------------------


_OFFICIAL_HINT = "pass cxg_test_json / cxg_test_txt, or place CodeXGLUE's files there under the data dir"


@dataclass(frozen=True)
class SourceConfig:
    """The ``cxg_*`` keys of ``--metadata`` that choose and locate the data (see docs/completion.md)."""

    source: str = "dev"
    data_dir: str | None = None
    data_file: str | None = None
    test_json: str | None = None
    test_txt: str | None = None
    hf_line: str = HF_LINE_DATASET
    hf_token: str = HF_TOKEN_DATASET

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any]) -> SourceConfig:
        source = str(metadata.get("cxg_source") or "dev")
        if source not in SOURCES:
            raise ValueError(f"unknown cxg_source '{source}'; known: {', '.join(SOURCES)}")
        config = cls(
            source=source,
            data_dir=metadata.get("data_dir"),
            data_file=metadata.get("cxg_data_file"),
            test_json=metadata.get("cxg_test_json"),
            test_txt=metadata.get("cxg_test_txt"),
            hf_line=metadata.get("cxg_hf_line") or HF_LINE_DATASET,
            hf_token=metadata.get("cxg_hf_token") or HF_TOKEN_DATASET,
        )
        if source == "jsonl" and not config.data_file:
            raise ValueError('cxg_source=jsonl needs cxg_data_file (a JSONL file of {"input", "gt"} rows)')
        return config

    def root(self) -> Path:
        from codeeff.data import resolve_data_dir

        return resolve_data_dir("codexglue_line", self.data_dir)

    def official_test_json(self, language: str) -> Path:
        default = official_files(self.root(), language)[0]
        return _require_file(Path(self.test_json or default), "official line test.json", _OFFICIAL_HINT)

    def official_test_txt(self, language: str) -> Path:
        default = official_files(self.root(), language)[1]
        return _require_file(Path(self.test_txt or default), "token-level test.txt", _OFFICIAL_HINT)


def load_line_rows(config: SourceConfig, language: str, rule: LineRule) -> tuple[list[LineRow], Origin]:
    """Line-completion rows with references, from the configured source."""
    if config.source in ("dev", "jsonl"):
        path = Path(config.data_file) if config.source == "jsonl" else dev_file(config.root(), language)
        _require_file(path, "line-completion JSONL", "check cxg_data_file / data_dir")
        rows = read_line_rows(path)
        split = "dev" if config.source == "dev" else "custom"
        return rows, Origin(config.source, split, str(path), sha256_file(path), len(rows))
    if config.source == "official":
        test_json, test_txt = config.official_test_json(language), config.official_test_txt(language)
        rows = rebuild_by_id(
            read_line_rows(test_json, require_gt=False),
            read_token_lines(test_txt),
            rule,
            (str(test_json), str(test_txt)),
        )
        origin = Origin("official", "test", str(test_json), sha256_file(test_json), len(rows))
        origin.notes.append(f"references rebuilt by id from {test_txt} (sha256 {sha256_file(test_txt)})")
        return rows, origin
    rows = hf_line_rows(language, rule, config.hf_line, config.hf_token)
    origin = Origin("hf", "test", f"{config.hf_line}:{language}", None, len(rows))
    origin.notes.append(
        f"the HF line set names its test split 'train'; blank references rebuilt from {config.hf_token}"
    )
    return rows, origin


def load_token_files(config: SourceConfig, language: str) -> tuple[list[list[str]], Origin]:
    """Files as CodeXGLUE token lists (without ``<s>``/``</s>``) for the context-fraction tasks.

    ``official``/``hf`` give whole files (the seed's protocol); ``dev``/``jsonl`` give ``input + gt`` of each line row,
    a file *prefix* that ends with the reference line — the best whole-file stand-in the shipped data allows.
    The seed: Briem, "Towards Resource Efficient Code Generation through Dynamic Early Exits in LLMs" (TU Wien, 2025),
    §6.2.3.
    """
    if config.source in ("dev", "jsonl"):
        path = Path(config.data_file) if config.source == "jsonl" else dev_file(config.root(), language)
        _require_file(path, "line-completion JSONL", "check cxg_data_file / data_dir")
        rows = read_line_rows(path)
        files = [f"{row.input} {row.gt}".split() for row in rows]
        origin = Origin(config.source, "dev" if config.source == "dev" else "custom", str(path), sha256_file(path), 0)
        origin.notes.append("files are input + gt of line-completion rows: file prefixes, not whole files")
        return files, origin
    if config.source == "official":
        test_txt = config.official_test_txt(language)
        files = [_file_tokens(line) for line in read_token_lines(test_txt) if line.strip()]
        return files, Origin("official", "test", str(test_txt), sha256_file(test_txt), 0)
    files = list(hf_token_files(language, config.hf_token))
    return files, Origin("hf", "test", f"{config.hf_token}:{language}", None, 0)
