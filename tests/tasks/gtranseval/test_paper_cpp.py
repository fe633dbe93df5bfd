"""Mode paper, C++: the POSIX math constants the paper's compiler lacked (M_PI: 5 of 5 published uses fail there)."""

from __future__ import annotations

from codeeff.tasks.gtranseval import paper

WITH_M_PI = "double nGon ( int n ) { return M_PI / n ; }"
WITH_NUMBERS_PI = "double nGon ( int n ) { return numbers :: pi / n ; }"


def test_a_posix_math_constant_does_not_compile_in_mode_paper():
    reason = paper.static_failure(WITH_M_PI, "cpp", paper.entry(WITH_M_PI, "cpp"))
    assert (
        reason
        == "the paper's runner does not compile this: M_PI is a POSIX constant, not ISO C++ (the paper's compiler lacks it)"
    )
    assert paper.static_failure(WITH_NUMBERS_PI, "cpp", paper.entry(WITH_NUMBERS_PI, "cpp")) is None
    in_a_string = 'string nGon ( int n ) { return "M_PI" ; }'
    assert paper.static_failure(in_a_string, "cpp", paper.entry(in_a_string, "cpp")) is None
    assert (
        paper.static_failure(
            "double M_PIX ( int n ) { return n ; }", "cpp", paper.entry("double M_PIX ( int n ) { return n ; }", "cpp")
        )
        is None
    )
    java = "double nGon(int n) { return M_PI / n; }"  # not a C++ rule
    assert paper.static_failure(java, "java", paper.entry(java, "java")) is None


def test_an_exception_specification_is_not_taken_for_the_function():
    from codeeff.tasks.gtranseval.entry import functions

    # TransCoder's py2cpp #0 (the paper passes it): `throw ( )` after the parameter list, then the body.
    code = "int greatest_common_divisor ( int a , int b ) throw ( ) {\n  return b == 0 ? a : greatest_common_divisor ( b , a % b ) ;\n}\n"
    assert [(f.name, f.min_args) for f in functions(code, "cpp")] == [("greatest_common_divisor", 2)]
    assert paper.entry(code, "cpp").name == "greatest_common_divisor"
    for tail in ("noexcept", "const noexcept(true)", "override final"):
        assert [f.name for f in functions(f"int f ( int a ) {tail} {{ return a ; }}", "cpp")] == ["f"]
