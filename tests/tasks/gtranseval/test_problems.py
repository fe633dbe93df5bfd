"""The loader reads the real G-TransEval files, and malformed data fails with the file and line named."""

from __future__ import annotations

import json
import shutil

import pytest

from codeeff.tasks.gtranseval.problems import GTransEvalDataError, load_problems


def test_counts_ids_and_alignment(problems):
    assert len(problems) == 400
    assert [sum(p.type == t for p in problems) for t in (1, 2, 3, 4)] == [125, 125, 125, 25]
    first = problems[0]
    assert first.id == "0000-greatest_common_divisor" and first.type == 1
    assert first.sources["java"].startswith("int greatestCommonDivisor (")
    assert first.tests[0].params == ("3", "7") and first.tests[0].expected == "1"
    assert problems[375].id == "0000-DistinctOddRatio" and problems[375].type == 4
    assert all(
        len(p.tests) == 5 and set(p.sources) == {"python", "java", "cpp", "csharp", "javascript"} for p in problems
    )


def test_type_subset(data_dir):
    assert {p.type for p in load_problems(data_dir, (4,))} == {4}


def _copy(data_dir, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(data_dir / "gtranseval" / "G-TransEval" / "Type_all", root / "gtranseval/G-TransEval/Type_all")
    for t in (1, 2, 3, 4):
        shutil.copytree(data_dir / f"gtranseval/G-TransEval/Type{t}", root / f"gtranseval/G-TransEval/Type{t}")
    shutil.copytree(data_dir / "gtranseval/TestRunner", root / "gtranseval/TestRunner")
    return root


def test_empty_line_is_named_by_file_and_line(data_dir, tmp_path):
    root = _copy(data_dir, tmp_path)
    path = root / "gtranseval/G-TransEval/Type2/Java.test"
    lines = path.read_text().split("\n")
    lines[6] = "   "
    path.write_text("\n".join(lines))
    with pytest.raises(GTransEvalDataError, match=r"Type2/Java\.test:7: empty line"):
        load_problems(root)


def test_misaligned_file_and_bad_config_values(data_dir, tmp_path):
    root = _copy(data_dir, tmp_path)
    path = root / "gtranseval/G-TransEval/Type3/Python.test"
    path.write_text(path.read_text() + "def extra ( ) : NEW_LINE INDENT pass NEW_LINE DEDENT\n")
    with pytest.raises(GTransEvalDataError, match=r"Type3/Python\.test: 126 functions but l3\.json has 125"):
        load_problems(root)

    root = _copy(data_dir, tmp_path / "second")
    config = root / "gtranseval/TestRunner/config/l1.json"
    data = json.loads(config.read_text())
    data["questions"][2]["tests"][1]["params"] = ["eleven"]
    config.write_text(json.dumps(data))
    with pytest.raises(
        GTransEvalDataError, match=r"l1\.json: question 2 \(is_prime\), test 1: 'eleven' is not a valid int"
    ):
        load_problems(root)
