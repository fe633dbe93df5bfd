"""The hostile corpus (tests/sandbox/hostile/): each program gets its declared status and the host stays unharmed.

After every program: no listener saw a byte, the canaries are intact, no secret (file or environment) appears in
the program's output, no process of the sandbox's run uids survives, and the harness still runs a normal program.
"""

from __future__ import annotations

import pytest
from sandbox_support import ENV_SECRET, lasting_processes_of, load_corpus

from codeeff.sandbox import Job, Limits, Status, run_jobs
from codeeff.sandbox.pool import active_run_uids

CORPUS = load_corpus()


def test_corpus_is_large_and_covers_every_language():
    assert len(CORPUS) >= 40
    assert {p.language for p in CORPUS} == {"python", "java", "cpp", "javascript"}


@pytest.mark.parametrize("program", CORPUS, ids=[p.id for p in CORPUS])
def test_hostile_program(program, hostile_env):
    limits = Limits(**program.limits) if program.limits else None
    job = Job(language=program.language, files={program.path.name: program.path.read_text()}, main=program.path.name,
              args=hostile_env.args, limits=limits)  # fmt: skip
    [result] = run_jobs([job], cache=False, progress=False)
    report = f"{program.id} ({program.what}): {result.status_label} {result.detail}\n{result.stdout[-800:]}\n{result.stderr[-800:]}"
    assert result.status_label == program.expect, report
    assert result.backend == "bwrap" and result.isolation["level"] == "full"
    assert hostile_env.intrusions() == [], report
    output = result.stdout + result.stderr
    assert "LEAK" not in output, report
    assert hostile_env.secret not in output and ENV_SECRET not in output, report
    assert lasting_processes_of(active_run_uids()) == [], f"orphans after {program.id}"
    [after] = run_jobs([Job.single("python", "print('still working')")], cache=False, progress=False)
    assert after.status is Status.PASSED and after.stdout == "still working\n"
