"""BLEU flavours, chrF and ROUGE-L: reference values and the pitfalls they are named after.

``bleu_cxg`` reference values come from CodeXGLUE's own ``bleu.py`` (``compute_bleu(..., smooth=True)``, as copied
into G-TransEval's evaluator) run on the data folder's files; they are pinned unrounded and must match exactly.
"""

from __future__ import annotations

import math

import pytest
import sacrebleu

from codeeff.metrics import (
    corpus_bleu,
    corpus_bleu_cxg,
    corpus_chrf,
    corpus_rouge_l,
    sentence_bleu_cxg,
    sentence_rouge_l,
)
from codeeff.metrics.text import code_tokens

GTE = {"cs": "C#", "java": "Java", "py": "Python"}
# (model folder, pair) -> CodeXGLUE bleu.py corpus BLEU x 100 (its _bleu() prints these rounded: 89.0, 67.28, 51.78)
BLEU_CXG_REFERENCE = {
    ("codet5-full-results", "java2cs"): 89.0036955206142,
    ("codet5-100-results", "java2py"): 67.28116057118577,
    ("codet5-100-results", "py2java"): 51.78142752202536,
}
BLEU_CXG_DEV_REFERENCE = {
    "python": (31.342700160318376, 22.089591134157885),
    "java": (33.97570095006107, 0.7051182147062658),
}


@pytest.mark.parametrize(("model", "pair"), sorted(BLEU_CXG_REFERENCE))
def test_bleu_cxg_matches_codexglue_bleu_py_on_gtranseval_outputs(data_dir, model, pair):
    base = data_dir / "gtranseval" / "G-TransEval"
    refs = (base / "Type_all" / f"{GTE[pair.split('2')[1]]}.test").read_text().splitlines(keepends=True)
    preds = (base / "Results" / "translation_results" / model / f"{pair}.txt").read_text().splitlines(keepends=True)
    assert corpus_bleu_cxg(predictions=preds, references=refs) == BLEU_CXG_REFERENCE[(model, pair)]


@pytest.mark.parametrize("language", ["python", "java"])
def test_bleu_cxg_matches_codexglue_bleu_py_on_line_pairs(dev_rows, language):
    gts = [r["gt"] for r in dev_rows[language]]
    preds = [gts[(i + 1) % len(gts)] if i % 3 else " ".join(g.split()[:-1]) for i, g in enumerate(gts)]
    corpus_value, first_value = BLEU_CXG_DEV_REFERENCE[language]
    assert corpus_bleu_cxg(predictions=preds, references=gts) == corpus_value
    assert sentence_bleu_cxg(prediction=preds[1], reference=gts[0]) == first_value


def test_bleu_cxg_hand_computed():
    # prediction "a b c" vs reference "a b c d": matches 3,2,1,0 of possible 3,2,1,0 -> precisions 4/4,3/3,2/2,1/1;
    # brevity penalty exp(1 - 4/3).
    assert sentence_bleu_cxg(prediction="a b c", reference="a b c d") == pytest.approx(100 * math.exp(1 - 4 / 3))
    assert sentence_bleu_cxg(prediction="a b", reference="a b") == pytest.approx(100.0)
    assert sentence_bleu_cxg(prediction="", reference="a b") == 0.0  # the reference implementation divides by zero here


def test_bleu_is_sacrebleu_corpus_bleu_and_differs_from_bleu_cxg_on_raw_code():
    refs, preds = ["return foo(a, b);"], ["return foo(a,b);"]
    assert corpus_bleu(predictions=preds, references=refs) == sacrebleu.corpus_bleu(preds, [refs]).score
    assert corpus_chrf(predictions=preds, references=refs) == sacrebleu.corpus_chrf(preds, [refs]).score
    # Whitespace tokens see two different tokens where 13a sees the same ones: the two flavours must not be mixed.
    assert corpus_bleu(predictions=preds, references=refs) == pytest.approx(100.0)
    assert corpus_bleu_cxg(predictions=preds, references=refs) < 60


def test_rouge_l_is_blind_to_operators_and_rouge_l_code_is_not():
    assert sentence_rouge_l(prediction="return a - b", reference="return a + b") == 1.0
    # code tokens: return a + b vs return a - b -> LCS 3 of 4 on both sides
    assert sentence_rouge_l(prediction="return a - b", reference="return a + b", code=True) == pytest.approx(0.75)
    assert code_tokens("x+=a->b<<2") == ["x", "+=", "a", "->", "b", "<<", "2"]
    assert sentence_rouge_l(prediction="foo", reference="Foo", code=True) == 0.0  # case-sensitive


@pytest.mark.slow
def test_rouge_l_equals_rouge_score_on_real_pairs(dev_rows):
    """Our LCS (rapidfuzz) + rouge-score's tokenizer and formula give exactly RougeScorer's F-measure."""
    from rouge_score import rouge_scorer

    class CodeTokenizer:
        def tokenize(self, text):
            return code_tokens(text)

    rows = dev_rows["python"][:400]
    pairs = [
        (r["gt"], rows[(i + 1) % len(rows)]["gt"] if i % 2 else r["gt"][: len(r["gt"]) // 2])
        for i, r in enumerate(rows)
    ]
    default, code = (
        rouge_scorer.RougeScorer(["rougeL"]),
        rouge_scorer.RougeScorer(["rougeL"], tokenizer=CodeTokenizer()),
    )
    assert [sentence_rouge_l(prediction=p, reference=r) for r, p in pairs] == [
        default.score(r, p)["rougeL"].fmeasure for r, p in pairs
    ]
    assert [sentence_rouge_l(prediction=p, reference=r, code=True) for r, p in pairs] == [
        code.score(r, p)["rougeL"].fmeasure for r, p in pairs
    ]


def test_corpus_rouge_l_is_the_mean_of_pair_f_measures():
    refs, preds = ["a b c", "x y"], ["a b c", "x z"]
    assert corpus_rouge_l(predictions=preds, references=refs) == pytest.approx((1.0 + 0.5) / 2)


@pytest.mark.parametrize("fn", [corpus_bleu, corpus_bleu_cxg, corpus_chrf, corpus_rouge_l])
def test_corpus_metrics_reject_mismatched_and_empty_corpora(fn):
    with pytest.raises(ValueError, match="2 references but 1 predictions"):
        fn(predictions=["a"], references=["a", "b"])
    with pytest.raises(ValueError, match="empty corpus"):
        fn(predictions=[], references=[])


def test_empty_predictions_score_zero_not_crash():
    assert corpus_bleu_cxg(predictions=[""], references=["a b"]) == 0.0
    assert corpus_bleu(predictions=[""], references=["a b"]) == 0.0
    assert sentence_rouge_l(prediction="", reference="a b") == 0.0
