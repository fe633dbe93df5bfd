"""Every codeeff metric by name: how to compute it per corpus and per sample, its scale, and its signature.

The CLI, the benchmark, the lm-eval glue and the results hook all read this one table, so a metric name means the
same computation everywhere. A signature (in the spirit of sacrebleu's) records what determines the number:
library versions, tokenizer, smoothing, hash seed, compat mode. Two results are comparable only if their signatures
match.
"""

from __future__ import annotations

import importlib.metadata
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache

from codeeff.metrics import code_bleu, line, text

CorpusFn = Callable[[Sequence[str], Sequence[str], str], "float | None"]
SampleFn = Callable[[str, str, str], "float | None"]


@dataclass(frozen=True)
class MetricSpec:
    name: str
    higher_is_better: bool
    scale: str
    description: str
    corpus: CorpusFn
    sample: SampleFn
    signature: Callable[[], str]
    # Corpus value = mean of the per-sample values (EM, ES, ...); otherwise a corpus formula (BLEU, CodeBLEU, ...).
    mean_of_samples: bool = False
    # Optional batch version of ``sample`` (refs, preds, language) -> values, when pairs share work (CodeBLEU).
    batch_sample: Callable[[Sequence[str], Sequence[str], str], list] | None = None

    def per_sample(self, references: Sequence[str], predictions: Sequence[str], language: str) -> list:
        """Per-pair values (for corpus formulas: the formula on a corpus of one)."""
        text.check_pairs(references, predictions, self.name)
        if self.batch_sample is not None:
            return self.batch_sample(references, predictions, language)
        return [self.sample(p, r, language) for r, p in zip(references, predictions, strict=False)]


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def _codeeff_version() -> str:
    from codeeff import __version__

    return __version__


def _mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("mean of an empty corpus is undefined (no pairs)")
    return math.fsum(values) / len(values)


# ---------------------------------------------------------------------------------------------------------------
# CodeBLEU
# ---------------------------------------------------------------------------------------------------------------

CODEBLEU_COMPONENTS = {
    "codebleu": "codebleu",
    "codebleu_ngram": "ngram",
    "codebleu_weighted_ngram": "weighted_ngram",
    "codebleu_syntax": "syntax",
    "codebleu_dataflow": "dataflow",
}


@cache
def _codebleu_signature(name: str, mode: str) -> str:
    versions = code_bleu.versions()
    grammars = ",".join(f"{lang}={version}" for lang, version in versions["grammars"].items())
    dataflow = "or-1-credit" if mode == "compat" else "null-if-degenerate"
    weights = ",".join(str(w) for w in code_bleu.WEIGHTS)
    return (
        f"{name}|mode:{mode}|weights:{weights}|tok:whitespace|dataflow:{dataflow}|hashseed:{code_bleu.HASH_SEED}"
        f"|codebleu:{versions['codebleu']}|tree-sitter:{versions['tree-sitter']}|grammars:{grammars}"
        f"|codeeff:{_codeeff_version()}"
    )


def _codebleu_spec(name: str, component: str, mode: str = "codeeff") -> MetricSpec:
    def corpus(refs: Sequence[str], preds: Sequence[str], language: str) -> float | None:
        result = code_bleu.corpus_codebleu(refs, preds, language, mode=mode)
        return getattr(result, component)

    def sample(pred: str, ref: str, language: str) -> float | None:
        return getattr(code_bleu.sentence_codebleu(ref, pred, language, mode=mode), component)

    def batch_sample(refs: Sequence[str], preds: Sequence[str], language: str) -> list:
        return [getattr(r, component) for r in code_bleu.pair_codebleu(refs, preds, language, mode=mode)]

    return MetricSpec(
        name=name,
        higher_is_better=True,
        scale="0-1",
        description=f"CodeBLEU {component} ({mode} mode)",
        corpus=corpus,
        sample=sample,
        signature=lambda: _codebleu_signature(name, mode),
        batch_sample=batch_sample,
    )


# ---------------------------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------------------------


def _ignore_language(fn: Callable) -> Callable:
    return lambda a, b, language=None: fn(a, b)


def _mean_corpus(name: str, sample: Callable[[str, str], float]) -> CorpusFn:
    def corpus(refs: Sequence[str], preds: Sequence[str], language: str | None = None) -> float:
        text.check_pairs(refs, preds, name)
        return _mean([sample(p, r) for r, p in zip(refs, preds, strict=False)])

    return corpus


def _sample_spec(name: str, fn: Callable[[str, str], float], higher: bool, scale: str, desc: str, sig) -> MetricSpec:
    corpus = _mean_corpus(name, fn)
    return MetricSpec(name, higher, scale, desc, corpus, _ignore_language(fn), sig, mean_of_samples=True)


@cache
def metrics() -> dict[str, MetricSpec]:
    cv = _codeeff_version
    specs = [_codebleu_spec(name, component) for name, component in CODEBLEU_COMPONENTS.items()]
    specs.append(_codebleu_spec("codebleu_compat", "codebleu", mode="compat"))
    specs += [
        MetricSpec(
            "bleu",
            True,
            "0-100",
            "sacrebleu corpus BLEU (13a, exp smoothing); per sample: sentence BLEU with effective order",
            lambda r, p, lang=None: text.corpus_bleu(r, p),
            lambda p, r, lang=None: text.sentence_bleu(r, p),
            lambda: "bleu|" + text.sacrebleu_signature("bleu"),
        ),
        MetricSpec(
            "bleu_cxg",
            True,
            "0-100",
            "CodeXGLUE smoothed BLEU (whitespace tokens, add-one smoothing on all orders), corpus-level",
            lambda r, p, lang=None: text.corpus_bleu_cxg(r, p),
            lambda p, r, lang=None: text.sentence_bleu_cxg(r, p),
            lambda: f"bleu_cxg|tok:whitespace|smooth:add-one-all-orders|max_order:4|impl:codeeff:{cv()}",
        ),
        MetricSpec(
            "chrf",
            True,
            "0-100",
            "sacrebleu chrF (character 6-grams, beta 2; ignores whitespace)",
            lambda r, p, lang=None: text.corpus_chrf(r, p),
            lambda p, r, lang=None: text.sentence_chrf(r, p),
            lambda: "chrf|" + text.sacrebleu_signature("chrf"),
        ),
        MetricSpec(
            "rougeL",
            True,
            "0-1",
            "rouge-score ROUGE-L F (lowercased alphanumeric tokens: a+b == a-b), corpus = mean",
            lambda r, p, lang=None: text.corpus_rouge_l(r, p),
            lambda p, r, lang=None: text.sentence_rouge_l(r, p),
            lambda: (
                f"rougeL|tok:rouge-score:{_version('rouge-score')}-default|stemmer:no|lcs:rapidfuzz:{_version('rapidfuzz')}"
                "|agg:mean-f"
            ),
        ),
        MetricSpec(
            "rougeL_code",
            True,
            "0-1",
            "ROUGE-L F over case-sensitive code tokens keeping operators and punctuation, corpus = mean",
            lambda r, p, lang=None: text.corpus_rouge_l(r, p, code=True),
            lambda p, r, lang=None: text.sentence_rouge_l(r, p, code=True),
            lambda: f"rougeL_code|tok:codeeff-code:{cv()}|lcs:rapidfuzz:{_version('rapidfuzz')}|agg:mean-f",
        ),
        _sample_spec(
            "exact_match_cxg",
            line.exact_match_cxg,
            True,
            "0/1",
            "CodeXGLUE line EM: whitespace tokens equal after literal restore",
            lambda: f"exact_match_cxg|tok:whitespace|literals:cxg-post-process|strip:both|codeeff:{cv()}",
        ),
        _sample_spec(
            "exact_match_plain",
            line.exact_match_plain,
            True,
            "0/1",
            "stripped strings equal",
            lambda: f"exact_match_plain|strip:both|codeeff:{cv()}",
        ),
        _sample_spec(
            "edit_similarity",
            line.edit_similarity,
            True,
            "0-100",
            "CodeXGLUE edit sim: fuzz.ratio (InDel) rounded to int, after literal restore",
            lambda: (
                f"edit_similarity|impl:rapidfuzz.fuzz.ratio:{_version('rapidfuzz')}|parity:fuzzywuzzy+python-Levenshtein"
                f"|round:int|empty:0|literals:cxg-post-process|strip:both|codeeff:{cv()}"
            ),
        ),
        _sample_spec(
            "levenshtein_distance",
            line.levenshtein_distance,
            False,
            "chars",
            "character Levenshtein distance (unit costs)",
            lambda: f"levenshtein_distance|impl:Levenshtein:{_version('Levenshtein')}|unit:char|costs:1,1,1|strip:both",
        ),
        _sample_spec(
            "token_accuracy",
            line.token_accuracy,
            True,
            "0-1",
            "fraction of the reference's token positions the prediction matches (shorter predictions padded)",
            lambda: f"token_accuracy|tok:whitespace|denominator:reference-positions|pad:miss|strip:both|codeeff:{cv()}",
        ),
    ]
    return {spec.name: _strip_both(spec) for spec in specs}


# The reference implementation's whitespace rule (CodeXGLUE's evaluators strip both sides first); codebleu_compat is
# the codebleu library's call exactly as it is, so it keeps the library's own handling.
WHITESPACE_RULE = "strip:both"


def _strip_both(spec: MetricSpec) -> MetricSpec:
    if spec.name == "codebleu_compat":
        return spec

    def stripped(values: Sequence[str]) -> list[str]:
        return [v.strip() if isinstance(v, str) else v for v in values]

    corpus, sample, batch, signature = spec.corpus, spec.sample, spec.batch_sample, spec.signature
    return replace(
        spec,
        corpus=lambda refs, preds, language=None: corpus(stripped(refs), stripped(preds), language),
        sample=lambda pred, ref, language=None: sample(pred.strip(), ref.strip(), language),
        batch_sample=None if batch is None else lambda r, p, language: batch(stripped(r), stripped(p), language),
        signature=lambda: signature() if WHITESPACE_RULE in signature() else f"{signature()}|{WHITESPACE_RULE}",
    )


def get(name: str) -> MetricSpec:
    table = metrics()
    if name not in table:
        raise ValueError(f"unknown metric '{name}'; known: {', '.join(table)}")
    return table[name]


def corpus_scores(
    names: Sequence[str], references: Sequence[str], predictions: Sequence[str], language: str
) -> dict[str, float | None]:
    """Corpus values of several metrics. CodeBLEU's counts are computed by its worker processes while this process
    computes the other metrics (so a multi-metric run costs about its total CPU time divided by the cores); the
    values are the same as computing each metric alone."""
    specs = [get(name) for name in names]
    text.check_pairs(references, predictions, ", ".join(names))
    background: threading.Thread | None = None
    failure: list[BaseException] = []
    if any(spec.name.startswith("codebleu") for spec in specs):
        language = code_bleu.normalize_language(language)

        def codebleu_counts() -> None:
            try:
                code_bleu.memoized_statistics(references, predictions, language)
            except BaseException as exc:  # re-raised in the caller's thread below
                failure.append(exc)

        background = threading.Thread(target=codebleu_counts, name="codeeff-codebleu", daemon=True)
        background.start()
    values = {
        spec.name: spec.corpus(references, predictions, language)
        for spec in specs
        if spec is not None and not spec.name.startswith("codebleu")
    }
    if background is not None:
        background.join()
        if failure:
            raise failure[0]
        values.update(
            {s.name: s.corpus(references, predictions, language) for s in specs if s.name.startswith("codebleu")}
        )
    return {name: values[name] for name in names}


_EXECUTION = re.compile(r"^(pass@\d+|ca|ca_type\d+|exec_status_\w+)$")


def signature(metric_name: str) -> str | None:
    """The reproducibility signature of a codeeff metric name as it appears in results, else ``None``."""
    table = metrics()
    if metric_name in table:
        return table[metric_name].signature()
    if _EXECUTION.match(metric_name):
        if metric_name.startswith("pass@"):
            return (
                f"{metric_name}|estimator:unbiased-chen2021|n<k:error|n:n_samples|sandbox_error:excluded"
                f"|codeeff:{_codeeff_version()}"
            )
        return f"{metric_name}|sandbox-status|sandbox_error:excluded|codeeff:{_codeeff_version()}"
    return None
