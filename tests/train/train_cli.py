"""How the producer tests run ``codeeff train``: small data arguments and an in-process CLI call.

A module of its own (not ``conftest``): test modules import it by a name no other test folder uses.
"""

from __future__ import annotations

import json

# small everywhere: 2 CPU cores are shared; each run trains a few steps on real PY150 rows
DATA_ARGS = ["--train-rows", "12", "--val-rows", "4", "--seq-len", "48", "--max-blocks", "8", "--no-progress"]


def train(*argv: str) -> dict:
    """Run ``codeeff train ... --json`` in-process; fail with its output if it does not succeed."""
    import contextlib
    import io

    from codeeff.train.cli import main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["--json", *argv])
    assert code == 0, buffer.getvalue()
    return json.loads(buffer.getvalue())
