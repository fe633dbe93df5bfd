"""Per-sample metrics of one prediction against one reference (averaged over documents by lm-eval's ``mean``).

Whitespace rule (every text metric, as CodeXGLUE's evaluators do): both sides are stripped of surrounding whitespace
before comparison, so a reference's trailing space or a completion's trailing newline never changes a score.

Names keep apart what the literature conflates (code-eval-anchors §(d)6-7):

- ``exact_match_cxg``: the CodeXGLUE line-completion evaluator's EM: whitespace-token equality after restoring
  ``<STR_LIT>``/``<NUM_LIT:...>`` literals on both sides (inputs are CodeXGLUE token strings);
- ``exact_match_plain``: ``prediction.strip() == reference.strip()`` (CodeXGLUE's translation evaluator);
- ``edit_similarity``: CodeXGLUE's "Edit sim": fuzzywuzzy ``fuzz.ratio`` with python-Levenshtein, i.e. the InDel
  similarity rounded to an integer 0-100 (0 when either side is empty), after the same literal restore. Computed with
  ``rapidfuzz.fuzz.ratio`` (identical ratio; fuzzywuzzy's difflib fallback is *not* and is never used);
- ``levenshtein_distance``: character edit distance (insert/delete/substitute cost 1), lower is better;
- ``token_accuracy``: the early-exit thesis' token-level accuracy: the fraction of the *reference's* token positions
  whose token the prediction has at the same position (a prediction shorter than the reference is padded with misses,
  tokens past the reference's end are not scored; the context-fraction tasks' 15 positions).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# The CodeXGLUE line evaluator's literal pattern (non-greedy, across newlines); kept identical for parity.
_KEPT_LITERAL = re.compile(r"<(STR|NUM|CHAR)_LIT:(.*?)>", re.S)


def restore_literals(code: str) -> str:
    """The CodeXGLUE line evaluator's ``post_process`` (``<NUM_LIT>`` -> ``0``, ``<STR_LIT>`` and ``<CHAR_LIT>`` ->
    empty, ``<X_LIT:v>`` -> ``v``): what its EM and edit similarity compare."""
    code = code.replace("<NUM_LIT>", "0").replace("<STR_LIT>", "").replace("<CHAR_LIT>", "")
    for kind, value in _KEPT_LITERAL.findall(code):
        code = code.replace(f"<{kind}_LIT:{value}>", value)
    return code


def exact_match_cxg(*, prediction: str, reference: str) -> float:
    """1.0 when the CodeXGLUE line evaluator counts the pair as an exact match, else 0.0."""
    return float(restore_literals(prediction.strip()).split() == restore_literals(reference.strip()).split())


def exact_match_plain(*, prediction: str, reference: str) -> float:
    return float(prediction.strip() == reference.strip())


def edit_similarity(*, prediction: str, reference: str) -> float:
    """CodeXGLUE line evaluator's per-sample edit similarity (an integer 0-100, as a float)."""
    from rapidfuzz import fuzz

    pred, ref = restore_literals(prediction.strip()), restore_literals(reference.strip())
    if not pred or not ref:
        return 0.0  # fuzzywuzzy's check_empty_string decorator
    return float(round(fuzz.ratio(pred, ref)))  # fuzzywuzzy's intr(): int(round(x)), banker's rounding


def levenshtein_distance(*, prediction: str, reference: str) -> float:
    """Character Levenshtein distance of the two stripped strings (no literal restore)."""
    import Levenshtein

    return float(Levenshtein.distance(prediction.strip(), reference.strip()))


def token_accuracy(*, prediction: str | Sequence, reference: str | Sequence) -> float:
    """Fraction of the reference's positions ``i`` with ``prediction[i] == reference[i]``.

    Strings are split on whitespace (pass CodeXGLUE token strings, or lists of model token ids). A prediction shorter
    than the reference is padded with misses; its tokens past the reference's end are not scored. An empty reference
    scores 1.0 against an empty prediction, else 0.0.
    """
    pred = prediction.split() if isinstance(prediction, str) else list(prediction)
    ref = reference.split() if isinstance(reference, str) else list(reference)
    if not ref:
        return 1.0 if not pred else 0.0
    return sum(1 for i, token in enumerate(ref) if i < len(pred) and pred[i] == token) / len(ref)
