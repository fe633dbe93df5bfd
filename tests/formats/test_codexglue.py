"""CodeXGLUE tokens <-> raw code: hand cases and round trips on the real PY150 / JavaCorpus dev rows."""

from __future__ import annotations

import re

import pytest

from codeeff.formats import codexglue as ct

# Known, documented dataset irregularities a tokenizer cannot reproduce (see the module docstring / docs):
# JavaCorpus sometimes files char literals as strings ('<STR_LIT:\n>'), and one PY150 row has an unquoted <STR_LIT>.
_IRREGULAR = re.compile(r"(^|\s)'<STR_LIT|(^|\s)<STR_LIT>(\s|$)")


def test_python_retokenize_hand_case(literals):
    code = "if x > 0:  # check\n    print(\"hi there\", 42, 0, u'name')\n\n\nreturn a.b[1:]\n"
    tokens = ct.retokenize(code, "python", literals["python"])
    assert tokens == (
        "if x > <NUM_LIT:0> : <EOL> print ( \"<STR_LIT>\" , <NUM_LIT> , <NUM_LIT:0> , u'<STR_LIT:name>' ) <EOL> "
        "return a . b [ <NUM_LIT:1> : ]"
    )
    assert ct.tokenize_code(code, "python", literals["python"])[-1] == "<EOL>"  # kept unless strip_eol


def test_python_partial_model_output_does_not_raise(literals):
    assert ct.retokenize("foo(bar, 'unterminated", "python", literals["python"]) == "foo ( bar , '<STR_LIT>"


def test_java_retokenize_hand_case(literals):
    code = "Map<String, List<Integer>> m = x >> 2; /* c */ char c = '.'; // done\nlong v = 1L >>= 3;"
    tokens = ct.retokenize(code, "java", literals["java"])
    assert tokens == (
        "Map < String , List < Integer > > m = x > > <NUM_LIT:2> ; char c = '<CHAR_LIT:.>' ; "
        "long v = <NUM_LIT:1L> >>= <NUM_LIT:3> ;"
    )


def test_detokenize_restores_kept_literals_and_standins(literals):
    lits = literals["python"]
    raw = ct.detokenize(
        "<s> x = '<STR_LIT:aU+0020b>' + \"<STR_LIT>\" * <NUM_LIT> <EOL> y = <NUM_LIT:3> </s>", "py150", lits
    )
    assert raw == f"x = 'a b' + \"{lits.string_standin}\" * {lits.number_standin}\ny = 3"
    assert lits.number_standin not in lits.numbers


def test_detokenize_python_layout_indents_blocks(literals):
    raw = ct.detokenize(
        "def f ( a ) : <EOL> if a : <EOL> return a <EOL> else : <EOL> return None", "python", literals["python"]
    )
    assert raw == "def f(a):\n    if a:\n        return a\n    else:\n        return None"
    compile(raw, "<detok>", "exec")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        # except/finally align with their try, however deep the block a return closed
        (
            "try : <EOL> if a : <EOL> raise E <EOL> except E : <EOL> pass <EOL> finally : <EOL> x = 1",
            "try:\n    if a:\n        raise E\nexcept E:\n    pass\nfinally:\n    x = 1",
        ),
        # an else after a break continues the innermost block that may take one (the if)
        (
            "for x in y : <EOL> if x : <EOL> break <EOL> else : <EOL> z = 1",
            "for x in y:\n    if x:\n        break\n    else:\n        z = 1",
        ),
        # a nested Meta class in a class body; the next top-level class starts at column 0
        (
            "class A ( Model ) : <EOL> name = f ( ) <EOL> class Meta : <EOL> db = <NUM_LIT:1> <EOL> class B : <EOL> pass",
            "class A(Model):\n    name = f()\n    class Meta:\n        db = 1\nclass B:\n    pass",
        ),
        # the script guard goes back to the module whatever block the tokens were in
        (
            "def main ( ) : <EOL> x = <NUM_LIT:1> <EOL> if __name__ == '<STR_LIT:__main__>' : <EOL> main ( )",
            "def main():\n    x = 1\nif __name__ == '__main__':\n    main()",
        ),
        # a class right after a header is that header's body
        ("if TYPE_CHECKING : <EOL> class P : <EOL> pass", "if TYPE_CHECKING:\n    class P:\n        pass"),
        # a decorator after a method body returns to the class body, not to the module
        (
            "class A : <EOL> def f ( self ) : <EOL> x = <NUM_LIT:1> <EOL> @ property <EOL> def g ( self ) : <EOL> pass",
            "class A:\n    def f(self):\n        x = 1\n    @property\n    def g(self):\n        pass",
        ),
    ],
)
def test_python_layout_follows_the_blocks_the_tokens_open(literals, tokens, expected):
    raw = ct.detokenize(tokens, "python", literals["python"])
    assert raw == expected
    compile(raw, "<detok>", "exec")


def test_nested_meta_classes_of_the_dev_rows_stay_in_their_class(dev_rows, literals):
    """Every ``class Meta:`` of the PY150 dev prompts (Django models and forms) is one level inside its class."""
    checked = 0
    for row in dev_rows["python"]:
        if "<EOL> class Meta :" not in row["input"]:
            continue
        lines = ct.detokenize(row["input"], "python", literals["python"]).split("\n")
        for number, line in enumerate(lines):
            if line.strip() == "class Meta:":
                enclosing = [_indent(x) for x in lines[:number] if x.lstrip().startswith("class ")]
                assert enclosing and _indent(line) == enclosing[-1] + 4, "\n".join(
                    lines[max(0, number - 5) : number + 1]
                )
                checked += 1
    assert checked == 92


def test_except_and_finally_of_the_dev_rows_sit_under_their_try(dev_rows, literals):
    """An ``except``/``finally`` line continues a ``try`` at its own level (nothing shallower in between)."""
    aligned = total = 0
    for row in dev_rows["python"]:
        lines = ct.detokenize(row["input"], "python", literals["python"]).split("\n")
        for number, line in enumerate(lines):
            if not line.lstrip().startswith(("except", "finally:")) or not line.endswith(":"):
                continue
            total += 1
            for above in reversed(lines[:number]):
                if _indent(above) < _indent(line):
                    break
                if _indent(above) == _indent(line):
                    aligned += above.lstrip().startswith("try:")
                    if not above.lstrip().startswith(("except", "else:", "finally:")):
                        break
    assert total == 2233
    assert aligned >= 2202  # the layout before the open-block stack: 1901 (one script guard sits inside a try)


def test_unknown_language_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown CodeXGLUE completion language 'rust'"):
        ct.normalize_language("rust")


@pytest.mark.parametrize("language", ["python", "java"])
@pytest.mark.parametrize("layout", [True, False])
def test_round_trip_on_real_dev_rows(dev_rows, literals, language, layout):
    """tokens -> raw -> tokens is the identity on every gt and on a deterministic sample of prompt inputs."""
    rows = dev_rows[language]
    texts = [r["gt"] for r in rows] + [r["input"] for r in rows[:: 13 if layout else 29]]
    mismatched = []
    for text in texts:
        raw = ct.detokenize(text, language, literals[language], layout=layout)
        if ct.tokenize_code(raw, language, literals[language]) != ct.split_tokens(text):
            mismatched.append(text)
    assert len(texts) > 500
    assert all(_IRREGULAR.search(t) for t in mismatched), [t[:200] for t in mismatched if not _IRREGULAR.search(t)][:3]
    assert len(mismatched) <= len(texts) // 200


def test_detokenized_prompts_read_like_code_a_person_writes(literals):
    lits = literals["python"]
    tokens = (
        "from . import views <EOL> from . models import Item <EOL> from django . db import models <EOL>"
        ' stack = M2X509 . X509_Stack ( ) <EOL> n = <NUM_LIT:1> . real <EOL> s = "<STR_LIT>" <EOL>'
        " if ( a ) : <EOL> return [ x ] <EOL> f ( - <NUM_LIT:1> , * args , ** kw ) <EOL> y = a - - b"
    )
    raw = ct.detokenize(tokens, "python", lits)
    assert raw.splitlines() == [
        "from . import views",
        "from .models import Item",
        "from django.db import models",
        "stack = M2X509.X509_Stack()",
        "n = 1 .real",  # "1." would be a float literal
        f's = "{lits.string_standin}"',
        "if (a):",
        "    return [x]",
        "f(-1, *args, **kw)",
        "y = a - -b",
    ]
    assert lits.string_standin not in lits.strings and lits.string_standin.isidentifier()
    assert ct.retokenize(raw, "python", lits) == tokens


def test_detokenized_java_reads_like_java(literals):
    lits = literals["java"]
    tokens = (
        "test ( - <NUM_LIT:1> , ! done ) ; int x = a - b ; void main ( String ... args ) { } z = x [ - <NUM_LIT:1> ] ;"
    )
    raw = ct.detokenize(tokens, "java", lits)
    assert raw.splitlines() == ["test(-1, !done);", "int x = a - b;", "void main(String... args) {", "}", "z = x[-1];"]
    assert ct.retokenize(raw, "java", lits) == tokens
