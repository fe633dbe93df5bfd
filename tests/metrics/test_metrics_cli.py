"""`codeeff metrics`: files in, corpus + per-sample scores + signatures out; clear errors on bad input."""

from __future__ import annotations

import json

import pytest

from codeeff.metrics import registry, signature
from codeeff.metrics.cli import main


def _write(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _run_json(capsys, *argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_raw_references_all_metrics(tmp_path, capsys):
    refs = _write(tmp_path, "refs.txt", ["int add(int a, int b) { return a + b; }", "x = y;"])
    preds = _write(tmp_path, "preds.txt", ["int add(int a, int b) { return a - b; }", ""])
    report = _run_json(capsys, "--metric", "all", "--lang", "java", "--refs", str(refs), "--preds", str(preds))
    assert report["n"] == 2 and set(report["corpus"]) == set(registry.metrics())
    assert len(report["samples"]) == 2 and report["samples"][1]["exact_match_plain"] == 0.0
    assert report["signatures"]["bleu"].startswith("bleu|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp")
    assert report["signatures"] == {name: signature(name) for name in registry.metrics()}


def test_cxg_references_retokenize_raw_predictions(tmp_path, capsys, data_dir):
    refs = _write(tmp_path, "gt.txt", ["self . assertEqual ( x , <NUM_LIT:0> )", "return '<STR_LIT>'"])
    preds = _write(tmp_path, "out.txt", ["self.assertEqual(x, 0)", 'return "hello world"'])
    report = _run_json(
        capsys,
        "--metric",
        "exact_match_cxg,edit_similarity",
        "--lang",
        "python",
        "--refs-format",
        "cxg",
        "--data-dir",
        str(data_dir),
        "--refs",
        str(refs),
        "--preds",
        str(preds),
    )
    assert [s["exact_match_cxg"] for s in report["samples"]] == [1.0, 0.0]  # '...' vs "..." quotes differ
    assert report["corpus"]["exact_match_cxg"] == 0.5


def test_gte_references_are_detokenized(tmp_path, capsys):
    pytest.importorskip("codeeff.formats.gtranseval")
    refs = _write(tmp_path, "refs.txt", ["def f ( a ) : NEW_LINE INDENT return a + 1 NEW_LINE DEDENT"])
    preds = _write(tmp_path, "preds.txt", ["def f(a):\\n    return a + 1"])
    report = _run_json(
        capsys,
        "--metric",
        "exact_match_plain,codebleu",
        "--lang",
        "python",
        "--refs-format",
        "gte",
        "--unescape",
        "--refs",
        str(refs),
        "--preds",
        str(preds),
    )
    assert report["corpus"]["exact_match_plain"] == 1.0


def test_text_output_lists_scores_samples_and_signatures(tmp_path, capsys):
    refs = _write(tmp_path, "r.txt", ["a b c", "d e"])
    assert (
        main(["--metric", "bleu_cxg,token_accuracy", "--lang", "python", "--refs", str(refs), "--preds", str(refs)])
        == 0
    )
    out = capsys.readouterr().out
    assert "bleu_cxg" in out and "100.0000" in out and "signatures:" in out and "0\t100.0000\t1.0000" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--metric", "bleu"], "has 2 lines but"),
        (["--metric", "blue"], "unknown metric(s) blue"),
        (["--metric", "codebleu", "--lang", "cobol"], "unknown language 'cobol'"),
    ],
)
def test_bad_input_is_one_clear_error(tmp_path, capsys, argv, message):
    refs = _write(tmp_path, "r.txt", ["a", "b"])
    preds = _write(tmp_path, "p.txt", ["a"] if "bleu" == argv[1] else ["a", "b"])
    if "--lang" not in argv:
        argv = [*argv, "--lang", "python"]
    assert main([*argv, "--refs", str(refs), "--preds", str(preds)]) == 2
    assert message in capsys.readouterr().err


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["--metric", "bleu", "--lang", "python", "--refs", str(tmp_path / "no.txt"), "--preds", "x"]) == 2
    assert "cannot read" in capsys.readouterr().err
