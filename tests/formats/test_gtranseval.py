"""Detokenizing G-TransEval's token lines gives real code, and tokenizing that code gives the tokens back."""

from __future__ import annotations

import pytest

from codeeff.formats.gtranseval import (
    LANGUAGES,
    canonical_language,
    detokenize,
    split_tokens,
    tokenize,
)


def _relex(line: str, language: str) -> list[str]:
    """The benchmark's tokens, with its few glued tokens (``-1``, ``BigInt(0)``) split as a lexer splits them."""
    tokens = split_tokens(line)
    if language != "python":
        tokens = [part for tok in tokens for part in tokenize(tok, language)]
    return [part for tok in tokens for part in ([">", ">"] if tok == ">>" else [tok])]


@pytest.mark.parametrize("language", LANGUAGES)
def test_round_trip_on_every_benchmark_function(gtranseval_sources, language):
    for index, sources in enumerate(gtranseval_sources):
        line = sources[language]
        code = detokenize(line, language)
        back = [part for tok in tokenize(code, language) for part in ([">", ">"] if tok == ">>" else [tok])]
        assert back == _relex(line, language), (index, code)


def test_python_layout_and_spacing(gtranseval_sources):
    code = detokenize(gtranseval_sources[129]["python"], "python")
    assert code.startswith("def intersperse(numbers, delimiter):\n    result = []\n    if not numbers:\n")
    assert "result.append(numbers[-1])" in code
    assert "NEW_LINE" not in code and "INDENT" not in code


def test_c_family_layout_generics_and_braces(gtranseval_sources):
    java = detokenize(gtranseval_sources[129]["java"], "java")
    assert java.splitlines()[0] == "List<Integer> intersperse(List<Integer> numbers, int delimiter) {"
    assert "    List<Integer> result = new ArrayList<>();" in java
    assert "    for (int i = 0; i < numbers.size() - 1; i++) {" in java
    cpp = detokenize(gtranseval_sources[0]["cpp"], "cpp")
    assert "    } else {" in cpp


def test_string_literals_with_spaces_stay_whole():
    assert split_tokens('x = " " + "a b"') == ["x", "=", '" "', "+", '"a b"']
    assert detokenize('def f ( ) : NEW_LINE INDENT return " " . join ( [ "a b" ] ) NEW_LINE DEDENT', "py") == (
        'def f():\n    return " ".join(["a b"])\n'
    )


def test_language_names():
    assert canonical_language("C++") == "cpp" and canonical_language("cs") == "csharp"
    with pytest.raises(ValueError, match="unknown G-TransEval language"):
        canonical_language("cobol")
