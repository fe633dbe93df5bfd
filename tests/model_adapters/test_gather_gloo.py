"""Data-parallel runs: per-rank totals are gathered inside the request methods (two CPU processes over gloo, joined
the way torchrun joins them: environment variables read by accelerate inside lm-eval's HF model)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest
from adapters_support import SINGLE_THREAD_ENV

pytestmark = pytest.mark.slow  # end-to-end runs: `make test-fast` leaves them out

WORKER = textwrap.dedent(
    """
    import json, os, sys
    import torch.distributed as dist
    from lm_eval.api.instance import Instance
    from codeeff.model_adapters.lm import CodeeffHFLM

    rank, port, model_dir, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    # what torchrun sets; accelerate (inside lm-eval's HF model) joins the gloo process group from them
    os.environ.update(WORLD_SIZE="2", RANK=str(rank), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1", MASTER_PORT=port)
    lm = CodeeffHFLM(pretrained=model_dir, device="cpu", batch_size=1, early_exit="fixed:3", energy="off")
    prompts = [["def add(a, b):", "for i in range(3):"], ["int x = 1;"]][rank]
    gen = [Instance("generate_until", {}, (p, {"until": ["\\n\\n"], "max_gen_toks": 4}), i) for i, p in enumerate(prompts)]
    texts = lm.generate_until(gen)
    ll = [Instance("loglikelihood", {}, ("def add", "(a, b)"), 0)] * (rank + 1)
    lm.loglikelihood(ll)
    local = {"gen_tokens": sum(t.stats["gen_tokens"] for t in texts), "flops": sum(t.stats["flops"] for t in texts)}
    record = lm.efficiency_record()
    json.dump({"local": local, "record": record, "totals": lm.totals.__dict__}, open(out, "w"), default=str)
    dist.barrier()
    dist.destroy_process_group()
    """
)


def test_two_ranks_report_complete_totals(tmp_path, tiny_dirs):
    model_dir = tiny_dirs("llama")
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    outs = [tmp_path / f"rank{r}.json" for r in (0, 1)]
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(r), port, str(model_dir), str(outs[r])],
            env={**os.environ, **SINGLE_THREAD_ENV},
        )
        for r in (0, 1)
    ]
    for proc in procs:
        assert proc.wait(timeout=600) == 0
    ranks = [json.loads(p.read_text()) for p in outs]
    for data in ranks:  # every rank holds the same, complete totals
        totals = data["totals"]
        assert totals["gen_requests"] == 3 and totals["ll_requests"] == 3
        assert data["record"]["world_size"] == 2
        assert data["record"]["requests"] == {"generate_until": 3, "loglikelihood": 3}
        assert data["record"]["figures"]["gen_tokens"]["value"] == sum(r["local"]["gen_tokens"] for r in ranks)
    assert ranks[0]["totals"]["flops"] == ranks[1]["totals"]["flops"]
