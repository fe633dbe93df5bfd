"""CodeXGLUE tokens <-> what a model reads and writes, for both prompt formats.

``cxg_prompt_format`` (``--metadata``) picks how a model sees the context:

- ``code`` (default): raw code, detokenized by :func:`codeeff.formats.codexglue.detokenize` (newlines
  restored, Python indentation approximated, literal placeholders turned into stand-in literals). The model's output
  is raw code and is re-tokenized into CodeXGLUE tokens for scoring, so scores compare with CodeXGLUE's.
- ``tokens``: the dataset's own space-separated token string (``<EOL>`` and placeholders verbatim) — what
  CodeXGLUE's CodeGPT pipeline and the early-exit seed's fine-tuned models consume; output is split on whitespace.
  The early-exit seed: Briem, "Towards Resource Efficient Code Generation through Dynamic Early Exits in LLMs" (TU Wien,
  2025), §4.4.

The literal tables (``literals.json``) come from the data dir the loader resolved; loaders register them here so
``doc_to_text`` (which lm-eval calls with the document only) uses the same ones.
"""

from __future__ import annotations

import os
from typing import Any

from codeeff.formats import codexglue as cxg

PROMPT_FORMATS = cxg.PROMPT_FORMATS
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


def ends_line(context: str) -> bool:
    """Whether a context of CodeXGLUE tokens ends with a line break (``<EOL>``): the continuation starts a new line."""
    tokens = cxg.split_tokens(context)
    return bool(tokens) and tokens[-1] == cxg.EOL


def render_context(tokens: str, language: str, fmt: str, continuation: str = "") -> str:
    """What the model is given for a context of CodeXGLUE tokens.

    A Python context that ends with a line break is followed by the indentation of the next line, as an editor
    places the cursor (the layout of ``continuation``'s first line decides it, e.g. one level up for ``else``):
    the model writes the line's code, not the indentation or an empty line, and a stop at ``\n`` cannot end the
    answer before it starts.
    """
    code = cxg.render(tokens, language, fmt, literals(language))
    if fmt == "tokens":
        return code
    if language != "python" or not ends_line(tokens) or not continuation:
        return code
    next_line = cxg.split_tokens(continuation)
    next_line = next_line[: next_line.index(cxg.EOL)] if cxg.EOL in next_line else next_line
    if not next_line:
        return code
    both = cxg.detokenize(f"{tokens} {' '.join(next_line)}", language, literals(language))
    last = both.rsplit("\n", 1)[-1]
    return code + last[: len(last) - len(last.lstrip(" "))]


def response_tokens(response: str, language: str, fmt: str, context_ends_line: bool = False) -> list[str]:
    """A model's output as CodeXGLUE tokens (``<EOL>`` kept where the output has a line break).

    PY150 collapses runs of line breaks into one ``<EOL>``: after a context that already ends with ``<EOL>``, line
    breaks at the start of the output add nothing; after any other context, a leading line break ends the context's
    line and is the reference's first token.
    """
    if fmt == "tokens":
        tokens = cxg.split_tokens(response)
    else:
        tokens = cxg.tokenize_code(response, language, literals(language), strip_eol=False)
        if language == "python" and response.lstrip(" \t\f")[:1] in ("\n", "\r") and tokens[:1] != [cxg.EOL]:
            tokens.insert(0, cxg.EOL)
    if context_ends_line:
        while tokens[:1] == [cxg.EOL]:
            tokens.pop(0)
    return tokens


def doc_to_text(doc: dict[str, Any]) -> str:
    """lm-eval's ``doc_to_text`` for every CodeXGLUE completion task (documents carry their own format)."""
    return render_context(doc["context"], doc["language"], doc["prompt_format"], doc["reference"])
