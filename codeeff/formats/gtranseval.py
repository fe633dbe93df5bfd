"""G-TransEval's space-tokenized code <-> the code a person would write.

G-TransEval stores every function (sources, references and some published model outputs) as one line of
space-separated tokens; Python additionally encodes layout as ``NEW_LINE`` / ``INDENT`` / ``DEDENT``. Prompts built
from that are token soup, and text metrics against it punish a model for writing normal code. :func:`detokenize`
turns a tokenized line into formatted, runnable code; :func:`tokenize` goes the other way (used to check the
round trip and to re-tokenize model output when a metric must be computed on the benchmark's own token stream).

Languages are named ``python``, ``java``, ``cpp``, ``csharp``, ``javascript`` (:data:`LANGUAGES`).
"""

from __future__ import annotations

import io
import re
import tokenize as py_tokenize

from codeeff.contracts.languages import LANGUAGES

_ALIASES = {
    "py": "python",
    "c++": "cpp",
    "cs": "csharp",
    "c#": "csharp",
    "c_sharp": "csharp",
    "js": "javascript",
}

PY_NEWLINE, PY_INDENT, PY_DEDENT = "NEW_LINE", "INDENT", "DEDENT"
_INDENT = "    "

# Keywords after which "(" / "[" keep a space (``if (x)``, ``return [a]``), and after which an operator is unary.
_PY_KEYWORDS = frozenset(
    "and as assert await del elif else except for from global if import in is lambda nonlocal not or raise return "
    "while with yield".split()
)
_C_KEYWORDS = frozenset(
    "case catch do else for foreach if in instanceof is lock return switch throw typeof using while yield await "
    "delete void of let const var default".split()
)
# Identifiers that open a generic argument list when followed by "<" (besides capitalised names).
_GENERIC_HEADS = frozenset(
    "vector map unordered_map set unordered_set multiset multimap pair tuple queue priority_queue stack deque list "
    "array function greater less hash optional make_pair static_cast dynamic_cast reinterpret_cast const_cast "
    "numeric_limits accumulate max min sort begin end".split()
)
_TYPE_TOKEN = re.compile(r"^(?:[A-Za-z_$][\w$]*|,|\.|::|\?|\[|\]|\*|&|<|>|>>|extends|super)$")
_IDENT = re.compile(r"^[A-Za-z_$][\w$]*$")
_NUMBER = re.compile(r"^\.?\d")
_OPEN_BRACKETS = {"(": ")", "[": "]", "{": "}"}
_UNARY_CANDIDATES = frozenset({"-", "+", "!", "~", "*", "**", "&", "not"})
_PREFIX_OPS = frozenset({"++", "--"})
_NO_SPACE_BEFORE = frozenset({",", ";", ")", "]", ".", "::", "?."})
_NO_SPACE_AFTER = frozenset({"(", "[", ".", "::", "?.", "@"})


def canonical_language(name: str) -> str:
    """Map user/benchmark spellings (``py``, ``C++``, ``cs``, ``C#``, ``js``) to codeeff's language names."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in LANGUAGES:
        raise ValueError(f"unknown G-TransEval language '{name}'; known: {', '.join(LANGUAGES)}")
    return key


_LITERAL_START = re.compile(r"[rRbBfFuU@$]{0,2}(?=[\"'`])")


def split_tokens(line: str) -> list[str]:
    """Split a tokenized line on spaces, keeping string/char literals that contain spaces (``" "``) whole."""
    tokens: list[str] = []
    i, n = 0, len(line)
    while i < n:
        if line[i].isspace():
            i += 1
            continue
        start = i
        prefix = _LITERAL_START.match(line, i)
        if prefix is not None:
            i = prefix.end()
            quote = line[i]
            i += 1
            while i < n and line[i] != quote:
                i += 2 if line[i] == "\\" else 1
            i = min(i + 1, n)
            # a literal ends at its closing quote; anything glued after it (rare) stays part of the token
            while i < n and not line[i].isspace():
                i += 1
        else:
            while i < n and not line[i].isspace():
                i += 1
        tokens.append(line[start:i])
    return tokens


def _is_literal(tok: str) -> bool:
    return bool(re.match(r"^[rRbBfFuU@$]{0,2}[\"'`]", tok))


def _is_operand_end(tok: str | None, keywords: frozenset[str]) -> bool:
    """Whether ``tok`` can end an operand (so a following ``-`` is binary and ``++`` is postfix)."""
    if tok is None or tok in keywords:
        return False
    return tok in (")", "]", "}") or _is_literal(tok) or bool(_NUMBER.match(tok)) or bool(_IDENT.match(tok))


class _Joiner:
    """Joins one line's tokens with conventional spacing (shared by Python lines and C-family statements)."""

    def __init__(self, keywords: frozenset[str], generics: bool, python: bool) -> None:
        self.keywords = keywords
        self.generics = generics
        self.python = python

    def generic_spans(self, toks: list[str]) -> set[int]:
        """Indices of ``<``/``>``/``>>`` tokens that delimit generic argument lists (``List<Integer>``)."""
        spans: set[int] = set()
        if not self.generics:
            return spans
        for i, tok in enumerate(toks):
            if tok != "<" or i == 0 or i in spans:
                continue
            head = toks[i - 1]
            if not (_IDENT.match(head) and (head[0].isupper() or head in _GENERIC_HEADS)) or head in self.keywords:
                continue
            depth, j, inside = 0, i, []
            while j < len(toks) and _TYPE_TOKEN.match(toks[j]):
                depth += {"<": 1, ">": -1, ">>": -2}.get(toks[j], 0)
                inside.append(j)
                if depth <= 0:
                    break
                j += 1
            if depth == 0 and inside:
                spans.update(k for k in inside if toks[k] in ("<", ">", ">>"))
        return spans

    def join(self, toks: list[str], generic: set[int], offset: int = 0) -> str:
        out: list[str] = []
        prev: str | None = None
        prev_unary = prev_generic = False
        square = 0
        for k, tok in enumerate(toks):
            is_generic = (k + offset) in generic
            if tok in _PREFIX_OPS:
                unary = not _is_operand_end(prev, self.keywords)
            else:
                unary = tok in _UNARY_CANDIDATES and not _is_operand_end(prev, self.keywords) and not prev_generic
            if prev is not None and self._space(prev, tok, prev_unary, is_generic, prev_generic, square):
                out.append(" ")
            out.append(tok)
            square += {"[": 1, "]": -1}.get(tok, 0)
            prev, prev_unary, prev_generic = tok, unary and tok != "not", is_generic
        return "".join(out)

    def _space(self, prev: str, tok: str, prev_unary: bool, generic: bool, prev_generic: bool, square: int) -> bool:
        if generic:  # List<Integer>, ArrayList<>, Map<K, V>
            return prev == "," or (tok == "<" and prev in self.keywords)
        if prev_generic:
            if prev == "<":
                return False
            return tok not in ("(", ")", ",", ";", ".", "[", "]", "::")
        if tok in _NO_SPACE_BEFORE or prev in _NO_SPACE_AFTER or prev_unary:
            return False
        if tok in _PREFIX_OPS:  # i++ attaches left, ++i attaches right
            return not _is_operand_end(prev, self.keywords)
        if tok in ("(", "["):
            return not _is_operand_end(prev, self.keywords)
        if prev == "{" and tok == "}":
            return False
        if self.python:
            if square > 0 and (tok == ":" or prev == ":"):  # slices a[1:2]
                return False
            if tok == ":" or tok == "}" or prev == "{":  # if x:, {'a': 1}
                return False
        return True


def _detok_python(tokens: list[str]) -> str:
    joiner = _Joiner(_PY_KEYWORDS, generics=False, python=True)
    lines: list[str] = []
    indent = 0
    current: list[str] = []

    def flush() -> None:
        if current:
            lines.append(_INDENT * indent + _python_line(joiner, current))
            current.clear()

    for tok in tokens:
        if tok == PY_NEWLINE:
            flush()
        elif tok == PY_INDENT:
            flush()
            indent += 1
        elif tok == PY_DEDENT:
            flush()
            indent = max(0, indent - 1)
        else:
            current.append(tok)
    flush()
    return "\n".join(lines) + "\n"


def _python_line(joiner: _Joiner, toks: list[str]) -> str:
    text = joiner.join(toks, set())
    # PEP 8 keyword arguments / defaults: f(x=1), def g(a, b=2)
    return _tighten_keyword_equals(text)


def _tighten_keyword_equals(text: str) -> str:
    out: list[str] = []
    depth = 0
    i = 0
    in_str: str | None = None
    while i < len(text):
        ch = text[i]
        if in_str:
            out.append(ch)
            if ch == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 2
                continue
            if ch == in_str:
                in_str = None
        elif ch in "\"'":
            in_str = ch
            out.append(ch)
        elif ch in "([{":
            depth += 1
            out.append(ch)
        elif ch in ")]}":
            depth -= 1
            out.append(ch)
        elif depth > 0 and text.startswith(" = ", i) and re.search(r"[(,]\s*[A-Za-z_]\w*$", "".join(out[-40:])):
            out.append("=")
            i += 3
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _detok_c_family(tokens: list[str], language: str) -> str:
    """Lay out C-family tokens: one statement per line, K&R braces, 4-space indentation."""
    keywords = _C_KEYWORDS
    joiner = _Joiner(keywords, generics=language in ("java", "cpp", "csharp"), python=False)
    generic = joiner.generic_spans(tokens)
    lines: list[str] = []
    indent = 0
    current: list[int] = []  # token indices of the line being built
    braces: list[str] = []  # "block" | "inline" | "do"
    paren = 0

    def flush() -> None:
        if current:
            start = current[0]
            text = joiner.join([tokens[i] for i in current], generic, offset=start)
            lines.append(_INDENT * indent + text)
            current.clear()

    n = len(tokens)
    for i, tok in enumerate(tokens):
        prev = tokens[i - 1] if i else None
        nxt = tokens[i + 1] if i + 1 < n else None
        if tok in ("(", "["):
            paren += 1
        elif tok in (")", "]"):
            paren = max(0, paren - 1)
        if tok == "{":
            inline = prev in ("=", "]", "return", ",", "(", "[", "{", "?", ":") or (
                prev is not None and (i - 1) in generic and prev in (">", ">>")
            )
            if inline or nxt == "}":
                braces.append("inline")
                current.append(i)
                continue
            braces.append("do" if prev == "do" else "block")
            current.append(i)
            flush()
            indent += 1
            continue
        if tok == "}":
            kind = braces.pop() if braces else "block"
            if kind == "inline":
                current.append(i)
                if nxt is not None and nxt not in (")", ",", ";", ".", "]", "}", ":", "else", "catch", "finally"):
                    if not braces or braces[-1] != "inline":
                        flush()
                continue
            flush()
            indent = max(0, indent - 1)
            current.append(i)
            joins_next = nxt in ("else", "catch", "finally", ")", ",", ";", ".", "]") or (
                kind == "do" and nxt == "while"
            )
            if not joins_next:
                flush()
            continue
        current.append(i)
        if tok == ";" and paren == 0 and (not braces or braces[-1] != "inline"):
            flush()
        elif tok == ":" and paren == 0 and _is_case_label(tokens, current):
            flush()
    flush()
    return "\n".join(lines) + "\n"


def _is_case_label(tokens: list[str], current: list[int]) -> bool:
    first = tokens[current[0]]
    return first in ("case", "default") and tokens[current[-1]] == ":"


def detokenize(line: str, language: str) -> str:
    """Turn one G-TransEval tokenized function into formatted source code (ending with a newline)."""
    language = canonical_language(language)
    tokens = split_tokens(line)
    if language == "python":
        return _detok_python(tokens)
    return _detok_c_family(tokens, language)


# --- tokenizing (the inverse direction) -------------------------------------------------------------------------

_C_OPERATORS = sorted(
    (
        ">>>= <<= >>= >>> ... -> => :: ++ -- && || == != <= >= += -= *= /= %= &= |= ^= << >> === !== ?. ?? ** "
        "+ - * / % = < > ! ~ & | ^ ? : ; , . ( ) [ ] { } @ #"
    ).split(),
    key=len,
    reverse=True,
)
_C_LEXER = re.compile(
    r"""(?P<space>\s+)
    |(?P<comment>//[^\n]*|/\*.*?\*/)
    |(?P<string>[@$]?"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`(?:\\.|[^`\\])*`)
    |(?P<number>(?:0[xXbB][\da-fA-F_]+|\d[\d_]*\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)[fFdDlLuUmM]*)
    |(?P<ident>[A-Za-z_$][\w$]*)
    |(?P<op>"""
    + "|".join(re.escape(op) for op in _C_OPERATORS)
    + r""")
    |(?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)


def tokenize(code: str, language: str) -> list[str]:
    """Tokenize real code the way G-TransEval's .test files are tokenized (comments dropped)."""
    language = canonical_language(language)
    if language == "python":
        return _tokenize_python(code)
    return [m.group() for m in _C_LEXER.finditer(code) if m.lastgroup not in ("space", "comment")]


def _tokenize_python(code: str) -> list[str]:
    tokens: list[str] = []
    reader = io.StringIO(code if code.endswith("\n") else code + "\n").readline
    for tok in py_tokenize.generate_tokens(reader):
        kind = tok.type
        if kind == py_tokenize.NEWLINE:
            tokens.append(PY_NEWLINE)
        elif kind == py_tokenize.INDENT:
            tokens.append(PY_INDENT)
        elif kind == py_tokenize.DEDENT:
            tokens.append(PY_DEDENT)
        elif kind in (py_tokenize.NL, py_tokenize.COMMENT, py_tokenize.ENDMARKER):
            continue
        else:
            tokens.append(tok.string)
    return tokens
