"""``ReplayLM``: an lm-eval ``LM`` that answers every request with the response saved for it (no model anywhere)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from lm_eval.api.model import LM

from codeeff.contracts.cost import SAMPLE_COST_METRICS
from codeeff.rescore.saved import SavedDoc, SavedGenerationsError, SavedRun


def doc_hash(doc: Any) -> str:
    """lm-eval's hash of a document, as a samples record stores it in ``doc_hash``."""
    from lm_eval.utils import handle_non_serializable, hash_string

    return hash_string(json.dumps(doc, indent=2, default=handle_non_serializable, ensure_ascii=False))


class ReplayLM(LM):
    """An lm-eval ``LM`` that answers each request with the response saved for it (no model anywhere).

    ``order`` lists the true doc ids in the order lm-eval enumerates them (it passes positions as ``doc_id`` when
    evaluating a ``samples`` selection). Responses of ``generate_until`` carry the sample's saved cost figures (as
    :class:`GenerationWithStats`) when the document had exactly one response, so cost metrics are re-emitted too.
    """

    def __init__(
        self, run: SavedRun, order: list[int], *, check_prompts: bool = True, model_info: dict | None = None
    ) -> None:
        super().__init__()
        self.run = run
        self.order = order
        self.check_prompts = check_prompts
        self.model_info = dict(model_info or {})
        self._served: dict[tuple[int, int], int] = defaultdict(int)
        self.prompt_mismatches: list[int] = []

    def _saved(self, request) -> tuple[SavedDoc, Any]:
        doc_id = self.order[request.doc_id]
        saved = self.run.docs[doc_id]
        where = f"{self.run.path}: doc_id {doc_id}"
        if request.idx == 0 and self._served[(doc_id, 0)] == 0:
            self._check(saved, request, where)
        if request.idx >= len(saved.responses):
            raise SavedGenerationsError(f"{where}: no saved response for request {request.idx}")
        repeats = saved.responses[request.idx]
        served = self._served[(doc_id, request.idx)]
        if served >= len(repeats):
            raise SavedGenerationsError(
                f"{where}: the task asks for more repeats than were saved ({len(repeats)}); "
                "was the live run's `repeats` (or n-samples setting) different?"
            )
        self._served[(doc_id, request.idx)] += 1
        return saved, repeats[served]

    def _check(self, saved: SavedDoc, request, where: str) -> None:
        if saved.doc_hash and saved.doc_hash != doc_hash(request.doc):
            raise SavedGenerationsError(
                f"{where}: the rebuilt task's document differs from the one the generation was made for "
                "(other data, source or task version); pass the live run's --metadata"
            )
        if saved.prompt_hash and self.check_prompts:
            from lm_eval.utils import hash_string

            if saved.prompt_hash != hash_string(str(request.arguments[0])):
                self.prompt_mismatches.append(saved.doc_id)

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        from codeeff.model_adapters.measure.generation_stats import GenerationWithStats

        out = []
        for request in requests:
            saved, response = self._saved(request)
            text = str(response)
            cost = {name: saved.numbers[name] for name in SAMPLE_COST_METRICS if name in saved.numbers}
            single = len(saved.responses) == 1 and len(saved.responses[0]) == 1
            out.append(GenerationWithStats(text, cost) if single and cost else text)
        return out

    def loglikelihood(self, requests, disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        out = []
        for request in requests:
            _, response = self._saved(request)
            logprob, greedy = (
                response if isinstance(response, list | tuple) else str(response).strip("()").split(",")
            )[:2]
            out.append((float(logprob), str(greedy).strip() == "True"))
        return out

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False) -> list[float]:
        return [float(self._saved(request)[1]) for request in requests]

    def get_model_info(self) -> dict:
        return dict(self.model_info)
