"""The CodeXGLUE code-completion token format: tokens <-> raw code, literal placeholders, the literal tables.

CodeXGLUE's PY150 and JavaCorpus files are *tokenized*: tokens are separated by single spaces, ``<s>``/``</s>`` mark a
file's start/end, Python newlines are ``<EOL>`` (indentation and comments were dropped), and literals were normalised:
a string, number or char literal is kept as ``<STR_LIT:value>`` / ``<NUM_LIT:value>`` / ``<CHAR_LIT:value>`` when it is
one of the frequent literals listed in the dataset's ``literals.json``, and becomes a bare ``<STR_LIT>`` / ``<NUM_LIT>``
/ ``<CHAR_LIT>`` otherwise (spaces and commas inside kept values are written ``U+0020`` / ``U+002C``).

A raw-code LLM needs raw code in its prompt and produces raw code, while the references stay tokenized. So this module
offers both directions, and they are exact inverses on the token level:

- :func:`detokenize` turns CodeXGLUE tokens into compilable-looking raw code (bare placeholders become stand-in
  literals chosen so that re-tokenizing them gives the bare placeholder back);
- :func:`retokenize` turns raw code (e.g. a model's output) into CodeXGLUE tokens, following the dataset's own
  preprocessing (Python: ``tokenize``-like tokens, comments and indentation dropped, newlines -> ``<EOL>``; Java:
  javalang-like tokens, ``>>``/``>>>`` split into single ``>`` as javalang does for generics);
- the CodeXGLUE line evaluator's ``post_process`` (what its metrics compare) is a metric helper:
  :func:`codeeff.metrics.restore_literals`.

The tokenizers are regular expressions rather than Python's ``tokenize`` / javalang because model output is partial
code (unclosed brackets, unterminated strings, stray dedents) on which those raise; on complete code both agree with
the dataset (checked by round-trip tests on the real dev rows).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("python", "java")
_DATASET_FOLDER = {"python": "py150", "java": "javaCorpus"}
_ALIASES = {"python": "python", "py": "python", "py150": "python", "java": "java", "javacorpus": "java"}

BOS, EOS, EOL = "<s>", "</s>", "<EOL>"
_SPECIAL_ESCAPES = {" ": "U+0020", ",": "U+002C"}
_PLACEHOLDER = re.compile(r"<(STR|NUM|CHAR)_LIT(?::(.*?))?>", re.S)


def normalize_language(language: str) -> str:
    """``python``/``py150`` -> ``python``; ``java``/``javaCorpus`` -> ``java``; anything else is a clear error."""
    key = str(language).strip().lower()
    if key not in _ALIASES:
        raise ValueError(f"unknown CodeXGLUE completion language '{language}'; known: {', '.join(LANGUAGES)}")
    return _ALIASES[key]


@dataclass(frozen=True)
class Literals:
    """The frequent literals a CodeXGLUE dataset kept verbatim (``literals.json``)."""

    strings: frozenset[str]
    numbers: frozenset[str]
    chars: frozenset[str]

    @property
    def number_standin(self) -> str:
        """The smallest non-negative integer that is *not* a kept literal, so it re-tokenizes to ``<NUM_LIT>``."""
        value = 0
        while str(value) in self.numbers:
            value += 1
        return str(value)

    @property
    def string_standin(self) -> str:
        """A plausible word that is *not* a kept string literal, so ``"example"`` re-tokenizes to ``"<STR_LIT>"``."""
        return next(w for w in ("example", "sample", "item", "text_0", "s_0") if w not in self.strings)

    @property
    def char_standin(self) -> str:
        """A letter that is not a kept char literal, so ``'x'`` re-tokenizes to ``'<CHAR_LIT>'``."""
        return next(c for c in "xyzqwkjhgfdsaXYZ" if c not in self.chars)


def literals_path(language: str, data_dir: str | os.PathLike | None = None) -> Path:
    from codeeff.data import resolve_data_dir

    root = resolve_data_dir("codexglue_line", data_dir)
    folder = _DATASET_FOLDER[normalize_language(language)]
    return root / "codexglue" / "CodeCompletion-line" / "dataset" / folder / "literals.json"


@lru_cache(maxsize=8)
def _load_literals_file(path: str) -> Literals:
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    return Literals(
        strings=frozenset(raw.get("str", [])),
        numbers=frozenset(raw.get("num", [])),
        chars=frozenset(raw.get("char", [])),
    )


def load_literals(language: str, data_dir: str | os.PathLike | None = None) -> Literals:
    """The ``literals.json`` of PY150 (python) or JavaCorpus (java), from the codeeff data directory."""
    path = literals_path(language, data_dir)
    if not path.is_file():
        raise FileNotFoundError(f"CodeXGLUE literals file not found: {path}")
    return _load_literals_file(str(path))


# ---------------------------------------------------------------------------------------------------------------
# Literal escapes
# ---------------------------------------------------------------------------------------------------------------


def _escape_literal(value: str) -> str:
    for char, escaped in _SPECIAL_ESCAPES.items():
        value = value.replace(char, escaped)
    return value


def _unescape_literal(value: str) -> str:
    for char, escaped in _SPECIAL_ESCAPES.items():
        value = value.replace(escaped, char)
    return value


# ---------------------------------------------------------------------------------------------------------------
# Tokenizers (raw code -> CodeXGLUE tokens)
# ---------------------------------------------------------------------------------------------------------------

_PY_STRING = (
    r"(?:[rRbBuUfF]{1,2})?(?:"
    r"'''(?:[^\\]|\\.)*?(?:'''|\Z)"
    r'|"""(?:[^\\]|\\.)*?(?:"""|\Z)'
    r"|'(?:[^'\\\n]|\\.)*(?:'|$)"
    r'|"(?:[^"\\\n]|\\.)*(?:"|$)'
    r")"
)
_PY_NUMBER = (
    r"(?:0[xX](?:_?[0-9a-fA-F])+|0[bB](?:_?[01])+|0[oO](?:_?[0-7])+"
    r"|(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][-+]?\d(?:_?\d)*)?[jJ]?)"
)
_PY_OPERATORS = sorted(
    "... **= //= >>= <<= -> := != %= &= *= += -= /= <= == >= @= ^= |= ** // << >> "
    "+ - * / % @ & | ^ ~ < > ( ) [ ] { } , : ; . = ! $ ? `".split(),
    key=len,
    reverse=True,
)
_PY_TOKEN = re.compile(
    rf"(?P<comment>\#[^\r\n]*)"
    rf"|(?P<newline>\r?\n|\r)"
    rf"|(?P<continuation>\\\r?\n)"
    rf"|(?P<space>[ \t\f]+)"
    rf"|(?P<string>{_PY_STRING})"
    rf"|(?P<number>{_PY_NUMBER})"
    rf"|(?P<name>\w+)"
    rf"|(?P<op>{'|'.join(re.escape(op) for op in _PY_OPERATORS)})"
    rf"|(?P<other>\S)",
    re.S | re.M,
)

_JAVA_STRING = r'"(?:[^"\\\n]|\\.)*(?:"|$)'
_JAVA_CHAR = r"'(?:[^'\\\n]|\\.)*(?:'|$)"
_JAVA_NUMBER = (
    r"(?:0[xX][0-9a-fA-F_]*\.?[0-9a-fA-F_]*(?:[pP][-+]?\d+)?[lLfFdD]?|0[bB][01_]+[lL]?"
    r"|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][-+]?\d+)?[lLfFdD]?)"
)
# javalang splits ">>" and ">>>" into single ">" tokens (for generics) but keeps ">>=" and ">>>=".
_JAVA_OPERATORS = sorted(
    ">>>= <<= >>= ... -> :: ++ -- && || == != <= >= += -= *= /= &= |= ^= %= << "
    "+ - * / % & | ^ ! ~ ? : < > = ( ) [ ] { } ; , . @".split(),
    key=len,
    reverse=True,
)
_JAVA_TOKEN = re.compile(
    rf"(?P<comment>//[^\r\n]*|/\*.*?(?:\*/|\Z))"
    rf"|(?P<space>\s+)"
    rf"|(?P<string>{_JAVA_STRING})"
    rf"|(?P<char>{_JAVA_CHAR})"
    rf"|(?P<number>{_JAVA_NUMBER})"
    rf"|(?P<name>[\w$]+)"
    rf"|(?P<op>{'|'.join(re.escape(op) for op in _JAVA_OPERATORS)})"
    rf"|(?P<other>\S)",
    re.S | re.M,
)

_PY_QUOTES = ("'''", '"""', "'", '"')


def _python_string_token(value: str, literals: Literals) -> str:
    """CodeXGLUE's ``process_string``: keep prefix and quotes, replace the body by a (kept) placeholder."""
    value = " ".join(value.split())  # the preprocessing collapses whitespace inside every token
    prefix_match = re.match(r"^[a-zA-Z]+", value)
    prefix = prefix_match.group(0) if prefix_match else ""
    body = value[len(prefix) :]
    start = end = ""
    for quote in _PY_QUOTES:
        if body.startswith(quote):
            start, body = quote, body[len(quote) :]
            if body.endswith(quote):
                end, body = quote, body[: -len(quote)]
            break
    body = _escape_literal(body)
    placeholder = f"<STR_LIT:{body}>" if body in literals.strings else "<STR_LIT>"
    return f"{prefix}{start}{placeholder}{end}"


def _quoted_token(value: str, kind: str, kept: frozenset[str], quote: str) -> str:
    body = value[1:-1] if len(value) >= 2 and value.endswith(quote) else value[1:]
    end = quote if len(value) >= 2 and value.endswith(quote) else ""
    body = _escape_literal(body)
    placeholder = f"<{kind}_LIT:{body}>" if body in kept else f"<{kind}_LIT>"
    return f"{quote}{placeholder}{end}"


def _number_token(value: str, literals: Literals) -> str:
    return f"<NUM_LIT:{value}>" if value in literals.numbers else "<NUM_LIT>"


def _python_tokens(code: str, literals: Literals) -> list[str]:
    tokens: list[str] = []
    for match in _PY_TOKEN.finditer(code):
        kind, value = match.lastgroup, match.group()
        if kind in ("comment", "space", "continuation"):
            continue
        if kind == "newline":
            if tokens and tokens[-1] != EOL:
                tokens.append(EOL)
            continue
        if kind == "string":
            tokens.append(_python_string_token(value, literals))
        elif kind == "number":
            tokens.append(_number_token(value, literals))
        else:
            tokens.append(value)
    return tokens


def _java_tokens(code: str, literals: Literals) -> list[str]:
    tokens: list[str] = []
    for match in _JAVA_TOKEN.finditer(code):
        kind, value = match.lastgroup, match.group()
        if kind in ("comment", "space"):
            continue
        if kind == "string":
            tokens.append(_quoted_token(value, "STR", literals.strings, '"'))
        elif kind == "char":
            tokens.append(_quoted_token(value, "CHAR", literals.chars, "'"))
        elif kind == "number":
            tokens.append(_number_token(value, literals))
        elif kind == "op" and set(value) == {">"}:
            tokens.extend(">" * len(value))  # ">>" / ">>>" -> single ">" tokens, as javalang emits them
        else:
            tokens.append(value)
    return tokens


def tokenize_code(
    code: str,
    language: str,
    literals: Literals | None = None,
    *,
    strip_eol: bool = False,
    data_dir: str | os.PathLike | None = None,
) -> list[str]:
    """Raw code -> CodeXGLUE tokens (no ``<s>``/``</s>``).

    Runs of newlines become one ``<EOL>``. A prompt prefix may legitimately end with ``<EOL>``, so edge ``<EOL>`` are
    kept unless ``strip_eol`` (what the dataset's whole-file preprocessing and a one-line completion want).
    """
    language = normalize_language(language)
    literals = literals if literals is not None else load_literals(language, data_dir)
    tokens = _python_tokens(code, literals) if language == "python" else _java_tokens(code, literals)
    if strip_eol:
        while tokens and tokens[0] == EOL:
            tokens.pop(0)
        while tokens and tokens[-1] == EOL:
            tokens.pop()
    return tokens


def retokenize(
    code: str,
    language: str,
    literals: Literals | None = None,
    *,
    strip_eol: bool = True,
    data_dir: str | os.PathLike | None = None,
) -> str:
    """Raw code -> CodeXGLUE-style space-separated tokens, so raw model output compares with tokenized references.

    Edge ``<EOL>`` are stripped by default: a completion's trailing newline is not part of the reference line.
    """
    return " ".join(tokenize_code(code, language, literals, strip_eol=strip_eol, data_dir=data_dir))


# ---------------------------------------------------------------------------------------------------------------
# Detokenizer (CodeXGLUE tokens -> raw code)
# ---------------------------------------------------------------------------------------------------------------

_NO_SPACE_BEFORE = {")", "]", "}", ",", ":", ";", "."}
_NO_SPACE_AFTER = {"(", "[", ".", "@"}
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_PY_DEDENT_AFTER = {"return", "pass", "break", "continue", "raise"}


def _restore_placeholders(token: str, literals: Literals) -> str:
    """``'<STR_LIT:a U+0020b>'`` -> ``'a b'``; bare placeholders -> stand-ins that re-tokenize to themselves."""

    def replace(match: re.Match) -> str:
        kind, value = match.group(1), match.group(2)
        if value is not None:
            return _unescape_literal(value)
        if kind == "NUM":
            return literals.number_standin
        if kind == "CHAR":
            return literals.char_standin
        return literals.string_standin

    return _PLACEHOLDER.sub(replace, token)


_NUMBER_START = re.compile(r"^\.?\d")  # "1 .real" keeps its space ("1." is a number); "M2X509.X509_Stack" does not
_KEYWORDS_BEFORE_BRACKET = frozenset(
    "return in if elif and or not while for yield assert del print except with as import from lambda is else".split()
)


def _is_word(token: str) -> bool:
    return bool(token) and (token[-1].isalnum() or token[-1] in "_$'\"")


def _join_line(tokens: list[str]) -> str:
    """Join one line's raw tokens with natural spacing, never gluing two tokens into a different token."""
    out = ""
    prev = before = ""  # the previous token and the one before it
    for token in tokens:
        if not out:
            out = token
        else:
            glue = (
                (token in _NO_SPACE_BEFORE and not (token == "." and _NUMBER_START.match(prev)))
                or (token in ("(", "[") and _is_word(prev) and prev not in _KEYWORDS_BEFORE_BRACKET)
                or (prev in _NO_SPACE_AFTER and not (prev == "." and token[:1].isdigit()))
            )
            if (prev in ("from", "import") and token == ".") or (prev == "." and token == "import"):
                glue = False  # relative imports: "from . import x", "from .mod import y"
            if prev == "." and token != "import" and out.endswith(" ."):
                glue = True  # "from .mod": the dot sticks to the module name
            if prev[-1:] == "." and token[:1] == ".":
                glue = False  # "." "." must not become ".." / "..."
            if prev == ">" and token == ">":
                glue = True  # javalang's split ">>": gluing is valid in generics and shifts and re-tokenizes the same
            if _is_unary(prev, before) and token[:1] not in "+-":
                glue = True  # "f(-1)", "x = -y", "!done" ("- -1" keeps its space: "--" is another token)
            if prev == "..." and _is_word(before):
                out = out[: -len(" ...")] + "..."  # Java varargs "String... args"
            out += token if glue else " " + token
        prev, before = token, prev
    return out


_UNARY_AFTER = frozenset(
    "( [ { , = : ? return yield case and or not in if elif while else lambda print assert "
    "== != < > <= >= + - * / % ** // & | ^ ~ ! && || += -= *= /= %= &= |= ^= <<= >>= << -> =>".split()
)


def _is_unary(token: str, before: str) -> bool:
    """Whether ``token`` is a prefix operator here (the previous token cannot end an operand)."""
    if token in ("~", "!"):
        return True
    if token in ("*", "**"):
        return before in ("(", ",")  # "f(*args, **kw)"
    return token in ("-", "+") and (not before or before in _UNARY_AFTER)


def _python_lines(tokens: list[str]) -> list[list[str]]:
    lines: list[list[str]] = [[]]
    for token in tokens:
        if token == EOL:
            lines.append([])
        else:
            lines[-1].append(token)
    return lines


# A clause keyword sits at the level of the innermost open block whose header it may follow.
_PY_CLAUSE_OF = {
    "elif": frozenset({"if", "elif"}),
    "else": frozenset({"if", "elif", "for", "while", "try", "except"}),
    "except": frozenset({"try", "except"}),
    "finally": frozenset({"try", "except", "else"}),
}
# Nested classes that Django, pydantic and similar libraries declare inside a class body.
_PY_NESTED_CLASSES = frozenset({"Meta", "Config", "Media", "Admin"})


def _indent_python(lines: list[list[str]]) -> list[str]:
    """Python indentation, inferred: PY150 drops indentation and its INDENT/DEDENT tokens, so where a block ends is
    not in the tokens. What is certain is used exactly: the line after a ``:``-ended header is one level deeper, and
    an ``elif``/``else``/``except``/``finally`` sits at the level of the innermost open block it can continue (the
    open headers are kept on a stack). The rest is inferred: ``return``/``pass``/``raise``/``break``/``continue``
    close their block; ``if __name__ == ...`` and ``class`` start at column 0 (a nested ``Meta``/``Config``/... inside a class body stays
    there); a ``def``, ``async def`` or decorator after a block body returns to the enclosing class body, else to
    the module. Indentation never changes the tokens (the dataset has none), only how natural the prompt looks."""
    out: list[str] = []
    level = 0
    depth = 0  # bracket depth carried across lines (continuation lines are indented one extra level)
    blocks: list[tuple[int, str]] = []  # open headers: (their level, their first keyword)
    header = False  # the previous logical line ended with ":" (a block opens)
    closed = False  # the previous logical line ended its block (return/pass/...)
    for line in lines:
        first = line[0]
        if depth == 0:
            keyword = line[1] if first == "async" and len(line) > 1 else first
            if header:
                pass  # the line after a header is its body, whatever it starts with
            elif keyword in _PY_CLAUSE_OF:
                owner = next((b for b in reversed(blocks) if b[1] in _PY_CLAUSE_OF[keyword]), None)
                level = owner[0] if owner is not None else max(level - (0 if closed else 1), 0)
            elif keyword == "class":
                in_class = next((b[0] for b in reversed(blocks) if b[1] == "class" and b[0] < level), None)
                nested = in_class is not None and len(line) > 1 and line[1] in _PY_NESTED_CLASSES
                level = in_class + 1 if nested else 0
            elif line[:3] == ["if", "__name__", "=="]:
                level = 0  # the script guard is a module-level statement
            elif keyword in ("def", "@"):
                enclosing = next((b[0] for b in reversed(blocks) if b[1] == "class" and b[0] < level), None)
                level = min(level, 0 if enclosing is None else enclosing + 1)
            blocks = [b for b in blocks if b[0] < level]
        indent = "    " * (level + (1 if depth > 0 else 0))
        out.append(indent + _join_line(line))
        for token in line:
            if token in _OPENERS:
                depth += 1
            elif token in (")", "]", "}"):
                depth = max(depth - 1, 0)
        if depth == 0:
            keyword = line[1] if first == "async" and len(line) > 1 else first
            header = line[-1] == ":"
            closed = first in _PY_DEDENT_AFTER
            if header:
                blocks.append((level, keyword))
                level += 1
            elif closed:
                level = max(level - 1, 0)
    return out


def _java_lines(tokens: list[str]) -> list[str]:
    """Lay Java tokens out one statement per line, indented by brace depth (JavaCorpus has no line breaks)."""
    out: list[str] = []
    current: list[str] = []
    braces = parens = 0

    def flush() -> None:
        if current:
            out.append("    " * braces + _join_line(current))
            current.clear()

    for token in tokens:
        if token == "}":
            flush()
            braces = max(braces - 1, 0)
            current.append(token)
            flush()
            continue
        current.append(token)
        if token == "(":
            parens += 1
        elif token == ")":
            parens = max(parens - 1, 0)
        elif token == "{":
            flush()
            braces += 1
        elif token == ";" and parens == 0:
            flush()
    flush()
    return out


def split_tokens(text: str) -> list[str]:
    """CodeXGLUE tokens of a tokenized string, without ``<s>``/``</s>``/``<pad>``."""
    return [t for t in text.split() if t not in (BOS, EOS, "<pad>")]


def detokenize(
    text: str,
    language: str,
    literals: Literals | None = None,
    *,
    layout: bool = True,
    data_dir: str | os.PathLike | None = None,
) -> str:
    """CodeXGLUE tokens -> raw code.

    ``<s>``/``</s>`` are dropped, ``<EOL>`` becomes a newline, kept literals are restored (``U+0020`` -> space) and
    bare placeholders become stand-ins: a plausible word that is not a kept string (``"example"``), the smallest integer that is not a kept number for
    numbers, a letter that is not a kept char for chars. ``layout=True`` gives natural spacing and (Python)
    approximate indentation / (Java) one statement per line; ``layout=False`` joins tokens with single spaces.
    Either way ``retokenize(detokenize(t)) == t`` for dataset rows (tested on the real dev sets).
    """
    language = normalize_language(language)
    literals = literals if literals is not None else load_literals(language, data_dir)
    tokens = split_tokens(text)
    if language == "python":
        # Empty lines only occur at the edges (the dataset collapses runs of <EOL>); they keep edge newlines.
        lines = [[_restore_placeholders(t, literals) for t in line] for line in _python_lines(tokens)]
        if not layout:
            return "\n".join(" ".join(line) for line in lines)
        laid_out = iter(_indent_python([line for line in lines if line]))
        return "\n".join(next(laid_out) if line else "" for line in lines)
    raw = [_restore_placeholders(t, literals) for t in tokens]
    if not layout:
        return " ".join(raw)
    return "\n".join(_java_lines(raw))


PROMPT_FORMATS = ("code", "tokens")


def render(text: str, language: str, prompt_format: str, literals: Literals) -> str:
    """A context of CodeXGLUE tokens as a model reads it: raw code (``code``, :func:`detokenize`) or the dataset's
    own space-separated tokens without ``<s>``/``</s>`` (``tokens``)."""
    if prompt_format == "tokens":
        return " ".join(split_tokens(text))
    if prompt_format != "code":
        raise ValueError(f"unknown prompt format '{prompt_format}'; known: {', '.join(PROMPT_FORMATS)}")
    return detokenize(text, language, literals)
