"""Re-scoring saved generations without a model (``codeeff score``).

- :mod:`.saved` reads lm-eval samples files and plain prediction files strictly.
- :mod:`.replay` is ``ReplayLM``, the lm-eval ``LM`` that answers each request with the saved response.
- :mod:`.engine` rebuilds a task and lets lm-eval evaluate it against the replay (:func:`.engine.rescore`).
- :mod:`.runs` scores whole run folders, in shards across machines, and merges the shards.
- :mod:`.cli` is the ``codeeff score`` command.

Nothing is imported here, so ``codeeff score --help`` stays fast.
"""
