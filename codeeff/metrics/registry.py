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
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from codeeff.contracts import metrics as contract_metrics
from codeeff.metrics import code_bleu, line, text

# A metric's computation: keyword-only ``predictions``/``references`` (corpus) or ``prediction``/``reference``
# (one pair), plus the language.
CorpusFn = Callable[..., "float | None"]
SampleFn = Callable[..., "float | None"]
# A signature field: ``(key, value)`` is written ``key:value``; ``(None, text)`` is written as the text itself.
Setting = tuple["str | None", object]

# The reference implementation's whitespace rule (CodeXGLUE's evaluators strip both sides first). A metric whose
# settings hold this field strips both sides of every pair before computing; codebleu_compat is the codebleu
# library's call exactly as it is, so it keeps the library's own handling.
STRIP_BOTH: Setting = ("strip", "both")


def format_signature(name: str, settings: Sequence[Setting]) -> str:
    """``name|key:value|...`` (a ``None`` key writes the value alone), as sacrebleu writes its signatures."""
    return "|".join([name, *(str(value) if key is None else f"{key}:{value}" for key, value in settings)])


@dataclass(frozen=True)
class MetricSpec:
    """One metric: its computation and the settings its signature is written from.

    Call it the sacrebleu way, with keywords only: ``spec.sample(prediction=..., reference=..., language=...)`` and
    ``spec.corpus(predictions=..., references=..., language=...)``.
    """

    name: str
    description: str
    corpus_fn: CorpusFn
    sample_fn: SampleFn
    # The signature's fields after the name, in order (a callable: library versions are read when asked).
    settings: Callable[[], Sequence[Setting]]
    # Corpus value = mean of the per-sample values (EM, ES, ...); otherwise a corpus formula (BLEU, CodeBLEU, ...).
    mean_of_samples: bool = False
    # Optional batch version of ``sample`` (keyword predictions/references/language) when pairs share work.
    batch_sample_fn: Callable[..., list] | None = None

    @property
    def higher_is_better(self) -> bool:
        """The metric's direction, as codeeff.contracts defines it for every consumer."""
        return contract_metrics.higher_is_better(self.name)

    @property
    def scale(self) -> str:
        return contract_metrics.QUALITY_BY_NAME[self.name].scale

    @property
    def strips_whitespace(self) -> bool:
        return STRIP_BOTH in self.settings()

    def _clean(self, values: Sequence[str]) -> list[str]:
        if not self.strips_whitespace:
            return list(values)
        return [v.strip() if isinstance(v, str) else v for v in values]

    def signature(self) -> str:
        """``name|key:value|...`` from :attr:`settings`; two results are comparable only if these match."""
        return format_signature(self.name, self.settings())

    def corpus(self, *, predictions: Sequence[str], references: Sequence[str], language: str | None = None):
        text.check_pairs(predictions=predictions, references=references, metric=self.name)
        return self.corpus_fn(
            predictions=self._clean(predictions), references=self._clean(references), language=language
        )

    def sample(self, *, prediction: str, reference: str, language: str | None = None):
        if self.strips_whitespace:
            prediction, reference = prediction.strip(), reference.strip()
        return self.sample_fn(prediction=prediction, reference=reference, language=language)

    def per_sample(self, *, predictions: Sequence[str], references: Sequence[str], language: str | None) -> list:
        """Per-pair values (for corpus formulas: the formula on a corpus of one)."""
        text.check_pairs(predictions=predictions, references=references, metric=self.name)
        predictions, references = self._clean(predictions), self._clean(references)
        if self.batch_sample_fn is not None:
            return self.batch_sample_fn(predictions=predictions, references=references, language=language)
        pairs = zip(predictions, references, strict=False)
        return [self.sample_fn(prediction=p, reference=r, language=language) for p, r in pairs]


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def _codeeff_version() -> str:
    # The parent package is always imported before its subpackages, so this reads its version without an import
    # of the top layer (which would point the dependency upward).
    return sys.modules["codeeff"].__version__


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
def _codebleu_settings(mode: str) -> tuple[Setting, ...]:
    versions = code_bleu.versions()
    grammars = ",".join(f"{lang}={version}" for lang, version in versions["grammars"].items())
    return (
        ("mode", mode),
        ("weights", ",".join(str(w) for w in code_bleu.WEIGHTS)),
        ("tok", "whitespace"),
        ("dataflow", "or-1-credit" if mode == "compat" else "null-if-degenerate"),
        ("hashseed", code_bleu.HASH_SEED),
        ("codebleu", versions["codebleu"]),
        ("tree-sitter", versions["tree-sitter"]),
        ("grammars", grammars),
        ("codeeff", _codeeff_version()),
        *(() if mode == "compat" else (STRIP_BOTH,)),
    )


def _codebleu_spec(name: str, component: str, mode: str = "codeeff") -> MetricSpec:
    def corpus(*, predictions: Sequence[str], references: Sequence[str], language: str) -> float | None:
        result = code_bleu.corpus_codebleu(predictions=predictions, references=references, language=language, mode=mode)
        return getattr(result, component)

    def sample(*, prediction: str, reference: str, language: str) -> float | None:
        result = code_bleu.sentence_codebleu(prediction=prediction, reference=reference, language=language, mode=mode)
        return getattr(result, component)

    def batch_sample(*, predictions: Sequence[str], references: Sequence[str], language: str) -> list:
        results = code_bleu.pair_codebleu(predictions=predictions, references=references, language=language, mode=mode)
        return [getattr(r, component) for r in results]

    return MetricSpec(
        name=name,
        description=f"CodeBLEU {component} ({mode} mode)",
        corpus_fn=corpus,
        sample_fn=sample,
        settings=lambda: _codebleu_settings(mode),
        batch_sample_fn=batch_sample,
    )


# ---------------------------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------------------------


def _pair_metric(fn: Callable[..., float], **options) -> SampleFn:
    """A per-pair text metric (no language) called with the spec's keyword arguments."""
    return lambda *, prediction, reference, language=None: fn(prediction=prediction, reference=reference, **options)


def _corpus_metric(fn: Callable[..., float], **options) -> CorpusFn:
    """A corpus text metric (no language) called with the spec's keyword arguments."""
    return lambda *, predictions, references, language=None: fn(
        predictions=predictions, references=references, **options
    )


def _sample_spec(
    name: str, fn: Callable[..., float], desc: str, settings: Callable[[], Sequence[Setting]]
) -> MetricSpec:
    """A metric defined per pair whose corpus value is the mean over pairs."""

    def corpus(*, predictions: Sequence[str], references: Sequence[str], language: str | None = None) -> float:
        pairs = zip(predictions, references, strict=False)
        return _mean([fn(prediction=p, reference=r) for p, r in pairs])

    return MetricSpec(name, desc, corpus, _pair_metric(fn), settings, mean_of_samples=True)


def _bleu_cxg_spec(max_order: int = text.BLEU_CXG_MAX_ORDER) -> MetricSpec:
    return MetricSpec(
        "bleu_cxg",
        "CodeXGLUE smoothed BLEU (whitespace tokens, add-one smoothing on all orders), corpus-level",
        _corpus_metric(text.corpus_bleu_cxg, max_order=max_order),
        _pair_metric(text.sentence_bleu_cxg, max_order=max_order),
        lambda: (
            ("tok", "whitespace"),
            ("smooth", "add-one-all-orders"),
            ("max_order", max_order),
            ("impl", f"codeeff:{_codeeff_version()}"),
            STRIP_BOTH,
        ),
    )


def _rouge_spec(name: str, code: bool, description: str, tokenizer: Callable[[], str]) -> MetricSpec:
    return MetricSpec(
        name,
        description,
        _corpus_metric(text.corpus_rouge_l, code=code),
        _pair_metric(text.sentence_rouge_l, code=code),
        lambda: (("tok", tokenizer()), ("lcs", f"rapidfuzz:{_version('rapidfuzz')}"), ("agg", "mean-f"), STRIP_BOTH),
    )


@cache
def metrics() -> dict[str, MetricSpec]:
    cv = _codeeff_version
    specs = [_codebleu_spec(name, component) for name, component in CODEBLEU_COMPONENTS.items()]
    specs.append(_codebleu_spec("codebleu_compat", "codebleu", mode="compat"))
    specs += [
        MetricSpec(
            "bleu",
            "sacrebleu corpus BLEU (13a, exp smoothing); per sample: sentence BLEU with effective order",
            _corpus_metric(text.corpus_bleu),
            _pair_metric(text.sentence_bleu),
            lambda: ((None, text.sacrebleu_signature("bleu")), STRIP_BOTH),
        ),
        _bleu_cxg_spec(),
        MetricSpec(
            "chrf",
            "sacrebleu chrF (character 6-grams, beta 2; ignores whitespace)",
            _corpus_metric(text.corpus_chrf),
            _pair_metric(text.sentence_chrf),
            lambda: ((None, text.sacrebleu_signature("chrf")), STRIP_BOTH),
        ),
        _rouge_spec(
            "rougeL",
            False,
            "rouge-score ROUGE-L F (lowercased alphanumeric tokens: a+b == a-b), corpus = mean",
            lambda: f"rouge-score:{_version('rouge-score')}-default|stemmer:no",
        ),
        _rouge_spec(
            "rougeL_code",
            True,
            "ROUGE-L F over case-sensitive code tokens keeping operators and punctuation, corpus = mean",
            lambda: f"codeeff-code:{cv()}",
        ),
        _sample_spec(
            "exact_match_cxg",
            line.exact_match_cxg,
            "CodeXGLUE line EM: whitespace tokens equal after literal restore",
            lambda: (("tok", "whitespace"), ("literals", "cxg-post-process"), STRIP_BOTH, ("codeeff", cv())),
        ),
        _sample_spec(
            "exact_match_plain",
            line.exact_match_plain,
            "stripped strings equal",
            lambda: (STRIP_BOTH, ("codeeff", cv())),
        ),
        _sample_spec(
            "edit_similarity",
            line.edit_similarity,
            "CodeXGLUE edit sim: fuzz.ratio (InDel) rounded to int, after literal restore",
            lambda: (
                ("impl", f"rapidfuzz.fuzz.ratio:{_version('rapidfuzz')}"),
                ("parity", "fuzzywuzzy+python-Levenshtein"),
                ("round", "int"),
                ("empty", 0),
                ("literals", "cxg-post-process"),
                STRIP_BOTH,
                ("codeeff", cv()),
            ),
        ),
        _sample_spec(
            "levenshtein_distance",
            line.levenshtein_distance,
            "character Levenshtein distance (unit costs)",
            lambda: (
                ("impl", f"Levenshtein:{_version('Levenshtein')}"),
                ("unit", "char"),
                ("costs", "1,1,1"),
                STRIP_BOTH,
            ),
        ),
        _sample_spec(
            "token_accuracy",
            line.token_accuracy,
            "fraction of the reference's token positions the prediction matches (shorter predictions padded)",
            lambda: (
                ("tok", "whitespace"),
                ("denominator", "reference-positions"),
                ("pad", "miss"),
                STRIP_BOTH,
                ("codeeff", cv()),
            ),
        ),
    ]
    return {spec.name: spec for spec in specs}


def get(name: str) -> MetricSpec:
    table = metrics()
    if name not in table:
        raise ValueError(f"unknown metric '{name}'; known: {', '.join(table)}")
    return table[name]


def corpus_scores(
    names: Sequence[str], *, predictions: Sequence[str], references: Sequence[str], language: str
) -> dict[str, float | None]:
    """Corpus values of several metrics. CodeBLEU's counts are computed by its worker processes while this process
    computes the other metrics (so a multi-metric run costs about its total CPU time divided by the cores); the
    values are the same as computing each metric alone."""
    specs = [get(name) for name in names]
    text.check_pairs(predictions=predictions, references=references, metric=", ".join(names))
    background: threading.Thread | None = None
    failure: list[BaseException] = []
    codebleu_specs = [spec for spec in specs if spec.name.startswith("codebleu")]
    if codebleu_specs:
        language = code_bleu.normalize_language(language)
        # The counts of the texts the CodeBLEU specs will score (stripped or not), so their corpus calls hit the memo.
        counted_predictions, counted_references = (
            codebleu_specs[0]._clean(predictions),
            codebleu_specs[0]._clean(references),
        )

        def codebleu_counts() -> None:
            try:
                code_bleu.memoized_statistics(
                    predictions=counted_predictions, references=counted_references, language=language
                )
            except BaseException as exc:  # re-raised in the caller's thread below
                failure.append(exc)

        background = threading.Thread(target=codebleu_counts, name="codeeff-codebleu", daemon=True)
        background.start()
    values = {
        spec.name: spec.corpus(predictions=predictions, references=references, language=language)
        for spec in specs
        if spec not in codebleu_specs
    }
    if background is not None:
        background.join()
        if failure:
            raise failure[0]
        values.update(
            {
                spec.name: spec.corpus(predictions=predictions, references=references, language=language)
                for spec in codebleu_specs
            }
        )
    return {name: values[name] for name in names}


_EXECUTION = re.compile(r"^(pass@\d+|ca|ca_type\d+|exec_status_\w+)$")


def _execution_settings(metric_name: str) -> tuple[Setting, ...]:
    if metric_name.startswith("pass@"):
        counting: tuple[Setting, ...] = (("estimator", "unbiased-chen2021"), ("n<k", "error"), ("n", "n_samples"))
    else:
        counting = ((None, "sandbox-status"),)
    return (*counting, ("sandbox_error", "excluded"), ("codeeff", _codeeff_version()))


def signature(metric_name: str) -> str | None:
    """The reproducibility signature of a codeeff metric name as it appears in results, else ``None``."""
    table = metrics()
    if metric_name in table:
        return table[metric_name].signature()
    if _EXECUTION.match(metric_name):
        return format_signature(metric_name, _execution_settings(metric_name))
    return None
