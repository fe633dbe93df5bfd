"""Signatures are written from each metric's own settings, and every one stays byte-identical to the strings results
already carry (the regression gate and old result files compare them). Library versions are filled in from the
installed distributions, so only the layout is pinned here."""

from __future__ import annotations

import importlib.metadata

import pytest

from codeeff import __version__
from codeeff.metrics import code_bleu, registry, text

_GRAMMARS = ",".join(f"{lang}={version}" for lang, version in code_bleu.versions()["grammars"].items())
_CODEBLEU = (
    "|weights:0.25,0.25,0.25,0.25|tok:whitespace|dataflow:{dataflow}|hashseed:0|codebleu:{codebleu}"
    "|tree-sitter:{tree_sitter}|grammars:{grammars}|codeeff:{codeeff}"
)
PINNED = {
    **{
        name: name + "|mode:codeeff" + _CODEBLEU.replace("{dataflow}", "null-if-degenerate") + "|strip:both"
        for name in registry.CODEBLEU_COMPONENTS
    },
    "codebleu_compat": "codebleu_compat|mode:compat" + _CODEBLEU.replace("{dataflow}", "or-1-credit"),
    "bleu": "bleu|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:{sacrebleu}|strip:both",
    "bleu_cxg": "bleu_cxg|tok:whitespace|smooth:add-one-all-orders|max_order:4|impl:codeeff:{codeeff}|strip:both",
    "chrf": "chrf|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:{sacrebleu}|strip:both",
    "rougeL": "rougeL|tok:rouge-score:{rouge_score}-default|stemmer:no|lcs:rapidfuzz:{rapidfuzz}|agg:mean-f|strip:both",
    "rougeL_code": "rougeL_code|tok:codeeff-code:{codeeff}|lcs:rapidfuzz:{rapidfuzz}|agg:mean-f|strip:both",
    "exact_match_cxg": "exact_match_cxg|tok:whitespace|literals:cxg-post-process|strip:both|codeeff:{codeeff}",
    "exact_match_plain": "exact_match_plain|strip:both|codeeff:{codeeff}",
    "edit_similarity": (
        "edit_similarity|impl:rapidfuzz.fuzz.ratio:{rapidfuzz}|parity:fuzzywuzzy+python-Levenshtein|round:int"
        "|empty:0|literals:cxg-post-process|strip:both|codeeff:{codeeff}"
    ),
    "levenshtein_distance": "levenshtein_distance|impl:Levenshtein:{levenshtein}|unit:char|costs:1,1,1|strip:both",
    "token_accuracy": (
        "token_accuracy|tok:whitespace|denominator:reference-positions|pad:miss|strip:both|codeeff:{codeeff}"
    ),
    "pass@1": "pass@1|estimator:unbiased-chen2021|n<k:error|n:n_samples|sandbox_error:excluded|codeeff:{codeeff}",
    "pass@10": "pass@10|estimator:unbiased-chen2021|n<k:error|n:n_samples|sandbox_error:excluded|codeeff:{codeeff}",
    "ca": "ca|sandbox-status|sandbox_error:excluded|codeeff:{codeeff}",
    "ca_type3": "ca_type3|sandbox-status|sandbox_error:excluded|codeeff:{codeeff}",
    "exec_status_timeout": "exec_status_timeout|sandbox-status|sandbox_error:excluded|codeeff:{codeeff}",
}


def _versions() -> dict[str, str]:
    installed = {
        key: importlib.metadata.version(dist)
        for key, dist in {
            "sacrebleu": "sacrebleu",
            "rapidfuzz": "rapidfuzz",
            "rouge_score": "rouge-score",
            "levenshtein": "Levenshtein",
        }.items()
    }
    codebleu = code_bleu.versions()
    return {
        **installed,
        "codeeff": __version__,
        "codebleu": codebleu["codebleu"],
        "tree_sitter": codebleu["tree-sitter"],
        "grammars": _GRAMMARS,
    }


def test_every_metric_of_the_table_is_pinned():
    assert set(registry.metrics()) <= set(PINNED)


@pytest.mark.parametrize("name", sorted(PINNED))
def test_signature_is_byte_identical_to_the_recorded_layout(name):
    assert registry.signature(name) == PINNED[name].format(**_versions())


def test_signature_follows_the_settings_the_computation_uses():
    # bleu_cxg's max_order is one value: the spec computes with it and writes it; another order is another metric.
    spec = registry._bleu_cxg_spec(max_order=2)
    assert "|max_order:2|" in spec.signature()
    pairs = {"predictions": ["a b c d"], "references": ["a b x d"]}
    assert spec.corpus(**pairs) == text.corpus_bleu_cxg(**pairs, max_order=2)
    assert spec.corpus(**pairs) != registry.get("bleu_cxg").corpus(**pairs)


def test_whitespace_rule_follows_the_signature():
    # A spec strips both sides exactly when its signature says strip:both (codebleu_compat keeps the library's rule).
    for name, spec in registry.metrics().items():
        assert spec.strips_whitespace == ("|strip:both" in spec.signature()), name
    assert registry.get("exact_match_plain").sample(prediction=" x \n", reference="x") == 1.0


def test_metrics_take_keywords_only():
    spec = registry.get("exact_match_plain")
    with pytest.raises(TypeError):
        spec.sample("x", "x")  # type: ignore[misc]
    with pytest.raises(TypeError):
        spec.corpus(["x"], ["x"])  # type: ignore[misc]
    with pytest.raises(TypeError):
        text.corpus_bleu_cxg(["x"], ["x"])  # type: ignore[misc]
