"""Data sources of the CodeXGLUE completion tasks: strict readers, reference rebuilding, line rules, splits."""

from __future__ import annotations

import json

import pytest

from codeeff.formats.codexglue_lines import LineRule, cut_line, rule_for
from codeeff.formats.codexglue_rows import (
    DataFormatError,
    PrefixIndex,
    SourceConfig,
    load_line_rows,
    load_token_files,
    read_line_rows,
    rebuild_by_id,
)


def _dev_rows(data_dir, folder, n):
    path = data_dir / "codexglue" / "unixcoder_line_dev" / folder / "dev.json"
    with open(path) as fh:
        return [json.loads(next(fh)) for _ in range(n)]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"input": "<s> a", "gt": "b"}\n{"input": "<s> x",\n', "not valid JSON"),
        ('{"input": "<s> a", "gt": "b"}\n["not", "an", "object"]\n', "expected a JSON object"),
        ('{"input": "<s> a", "gt": "b"}\n{"input": "<s> x"}\n', "missing key(s) 'gt'"),
        ('{"input": "<s> a", "gt": "b"}\n{"input": "<s> x", "gt": ""}\n', "'gt' is empty"),
        ('{"input": "<s> a", "gt": "b"}\n{"input": "", "gt": "y"}\n', "'input' is empty"),
        ('{"input": "<s> a", "gt": "b"}\n{"input": "<s> x", "gt": 3}\n', "must be strings"),
        ('{"input": "<s> a", "gt": "b"}\n{"input": "<s> x", "gt": "y", "id": "7"}\n', "'id' must be an integer"),
    ],
)
def test_malformed_rows_name_file_and_line(tmp_path, content, problem):
    path = tmp_path / "rows.json"
    path.write_text(content)
    with pytest.raises(DataFormatError) as err:
        read_line_rows(path)
    assert f"{path}:2" in str(err.value) and problem in str(err.value)


def test_dev_rows_load_with_provenance(data_dir):
    config = SourceConfig.from_metadata({"data_dir": str(data_dir)})
    rows, origin = load_line_rows(config, "java", rule_for("java", "dev"))
    assert len(rows) == origin.rows == 3000
    assert origin.split == "dev" and len(origin.sha256) == 64
    assert not rows[0].input.startswith("<s>")
    assert all(row.gt for row in rows)


def test_line_rules_follow_codexglue_and_the_dev_sets(data_dir):
    # CodeXGLUE's README: Java lines end at ; or } (kept) or before {; the UniXcoder dev set never stops at {.
    tokens = "if ( x ) { y = 1 ; } z".split()
    assert cut_line(tokens, LineRule.JAVA_CXG) == ("if ( x )".split(), True)
    assert cut_line(tokens, LineRule.JAVA_SEMI_CLOSE) == ("if ( x ) { y = 1 ;".split(), True)
    assert cut_line("a = 1 <EOL> b".split(), LineRule.PYTHON_EOL) == (["a", "=", "1"], True)
    assert cut_line("a = 1".split(), LineRule.PYTHON_EOL) == (["a", "=", "1"], False)
    dev_gts = [row["gt"].split() for row in _dev_rows(data_dir, "javaCorpus", 300)]
    assert all(cut_line(gt + ["next"], LineRule.JAVA_SEMI_CLOSE) == (gt, True) for gt in dev_gts)
    with pytest.raises(ValueError, match="does not apply"):
        rule_for("python", "dev", "java_cxg")


def _official_pair(tmp_path, rows, rule_tail, id_offset):
    """A test.json (gt hidden, as upstream) + test.txt whose line id-1 holds each row's file (real dev rows)."""
    test_json, test_txt = tmp_path / "test.json", tmp_path / "test.txt"
    files, hidden = [], []
    for i, row in enumerate(rows):
        files.append(f"{row['input']} {row['gt']} {rule_tail} </s>")
        hidden.append(json.dumps({"id": i + id_offset, "input": row["input"], "gt": ""}))
    test_txt.write_text("\n".join(files) + "\n")
    test_json.write_text("\n".join(hidden) + "\n")
    return test_json, test_txt


@pytest.mark.parametrize("id_offset", [0, 1])
def test_official_references_are_rebuilt_by_id(tmp_path, data_dir, id_offset):
    rows = _dev_rows(data_dir, "py150", 20)
    test_json, test_txt = _official_pair(tmp_path, rows, "<EOL> more = code", id_offset)
    config = SourceConfig.from_metadata(
        {
            "data_dir": str(data_dir),
            "cxg_source": "official",
            "cxg_test_json": str(test_json),
            "cxg_test_txt": str(test_txt),
        }
    )
    rebuilt, origin = load_line_rows(config, "python", LineRule.PYTHON_EOL)
    assert [r.gt for r in rebuilt] == [" ".join(r["gt"].split()) for r in rows]
    assert origin.split == "test" and "rebuilt by id" in origin.notes[0]


def test_official_java_rule_stops_before_a_brace(tmp_path, data_dir):
    rows = [{"input": "<s> class A { void f ( )", "gt": "ignored"}]
    test_json, test_txt = tmp_path / "test.json", tmp_path / "test.txt"
    test_txt.write_text("<s> class A { void f ( ) throws E { g ( ) ; } } </s>\n")
    test_json.write_text(json.dumps({"id": 1, "input": rows[0]["input"], "gt": ""}) + "\n")
    from codeeff.formats.codexglue_rows import read_line_rows, read_token_lines

    rebuilt = rebuild_by_id(
        read_line_rows(test_json, require_gt=False), read_token_lines(test_txt), LineRule.JAVA_CXG, ("j", "t")
    )
    assert rebuilt[0].gt == "throws E"


def test_mismatched_official_files_are_an_error(tmp_path, data_dir):
    rows = _dev_rows(data_dir, "py150", 3)
    test_json, test_txt = _official_pair(tmp_path, rows, "", 0)
    test_txt.write_text("<s> something else entirely </s>\n" * 3)
    config = SourceConfig.from_metadata(
        {
            "data_dir": str(data_dir),
            "cxg_source": "official",
            "cxg_test_json": str(test_json),
            "cxg_test_txt": str(test_txt),
        }
    )
    with pytest.raises(DataFormatError, match=r"row 1 \(id 0\).*do not belong together"):
        load_line_rows(config, "python", LineRule.PYTHON_EOL)


def test_official_files_missing_is_a_clear_error(data_dir):
    config = SourceConfig.from_metadata({"data_dir": str(data_dir), "cxg_source": "official"})
    with pytest.raises(FileNotFoundError, match="official line test.json not found"):
        load_line_rows(config, "python", LineRule.PYTHON_EOL)


def test_prefix_index_finds_the_file_of_an_id_less_row(data_dir):
    rows = _dev_rows(data_dir, "javaCorpus", 50)
    files = [f"{r['input'][4:]} {r['gt']} tail ;".split() for r in rows]
    index = PrefixIndex(files)
    for row in rows[::7]:
        assert index.continuation(row["input"][4:].split(), LineRule.JAVA_SEMI_CLOSE) == " ".join(row["gt"].split())
    assert index.continuation("no such prefix".split(), LineRule.JAVA_SEMI_CLOSE) is None


def test_token_files_from_dev_rows_are_input_plus_gt(data_dir):
    config = SourceConfig.from_metadata({"data_dir": str(data_dir)})
    files, origin = load_token_files(config, "python")
    first = _dev_rows(data_dir, "py150", 1)[0]
    assert files[0] == (first["input"] + " " + first["gt"]).split()[1:]
    assert "file prefixes" in origin.notes[0]


def test_unknown_source_and_missing_jsonl_file_are_errors():
    with pytest.raises(ValueError, match="unknown cxg_source"):
        SourceConfig.from_metadata({"cxg_source": "zenodo"})
    with pytest.raises(ValueError, match="needs cxg_data_file"):
        SourceConfig.from_metadata({"cxg_source": "jsonl"})
