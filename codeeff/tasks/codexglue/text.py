"""CodeXGLUE tokens <-> what a model reads and writes, for both prompt formats.

``cxg_prompt_format`` (``--metadata``) picks how a model sees the context:

- ``code`` (default): raw code, detokenized by :func:`codeeff.metrics.codexglue_tokens.detokenize` (newlines
  restored, Python indentation approximated, literal placeholders turned into stand-in literals). The model's output
  is raw code and is re-tokenized into CodeXGLUE tokens for scoring, so scores compare with CodeXGLUE's.
- ``tokens``: the dataset's own space-separated token string (``<EOL>`` and placeholders verbatim) — what
  CodeXGLUE's CodeGPT pipeline and the early-exit seed's fine-tuned models consume; output is split on whitespace.

The literal tables (``literals.json``) come from the data dir the loader resolved; loaders register them here so
``doc_to_text`` (which lm-eval calls with the document only) uses the same ones.
"""

from __future__ import annotations

import os
from typing import Any

from codeeff.metrics import codexglue_tokens as cxg

PROMPT_FORMATS = ("code", "tokens")
_literals: dict[str, cxg.Literals] = {}


def prompt_format(metadata: dict[str, Any]) -> str:
    value = str(metadata.get("cxg_prompt_format") or "code")
    if value not in PROMPT_FORMATS:
        raise ValueError(f"unknown cxg_prompt_format '{value}'; known: {', '.join(PROMPT_FORMATS)}")
    return value


def register_literals(language: str, data_dir: str | os.PathLike | None) -> None:
    """Load (and remember for :func:`literals`) the literal table of ``language`` from the resolved data dir."""
    _literals[language] = cxg.load_literals(language, data_dir)


def literals(language: str) -> cxg.Literals:
    if language not in _literals:
        register_literals(language, None)
    return _literals[language]


def render_context(tokens: str, language: str, fmt: str) -> str:
    """What the model is given for a context of CodeXGLUE tokens."""
    if fmt == "tokens":
        return " ".join(cxg.split_tokens(tokens))
    return cxg.detokenize(tokens, language, literals(language))


def response_tokens(response: str, language: str, fmt: str) -> list[str]:
    """A model's output as CodeXGLUE tokens (``<EOL>`` kept where the output has a line break)."""
    if fmt == "tokens":
        return cxg.split_tokens(response)
    tokens = cxg.tokenize_code(response, language, literals(language), strip_eol=False)
    if language == "python" and response.lstrip(" \t\f")[:1] in ("\n", "\r") and tokens[:1] != [cxg.EOL]:
        # A completion that starts by ending the context's line: that first line break is a token of the reference.
        tokens.insert(0, cxg.EOL)
    return tokens


def doc_to_text(doc: dict[str, Any]) -> str:
    """lm-eval's ``doc_to_text`` for every CodeXGLUE completion task (documents carry their own format)."""
    return render_context(doc["context"], doc["language"], doc["prompt_format"])
