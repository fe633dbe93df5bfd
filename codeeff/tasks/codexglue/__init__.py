"""CodeXGLUE code-completion tasks: line-level completion and the early-exit seed's context-fraction protocol.
The early-exit seed: Briem, "Towards Resource Efficient Code Generation through Dynamic Early Exits in LLMs" (TU Wien,
2025), §6.2.3.

- ``codexglue_line_py150`` / ``codexglue_line_javacorpus`` (:mod:`.line_task`): complete the next line of a file,
  CodeXGLUE's line definition, EM / edit similarity with parity to CodeXGLUE's evaluator plus text metrics.
- ``py150_ctx{20,30,50,60}`` / ``javacorpus_ctx{20,30,50,60}`` (:mod:`.context_task`): the first f of a file's code
  tokens as context, the next 15 code tokens as reference (Briem, "Resource Efficient Code Generation through Dynamic
  Early Exits", §6.2.3).

Where the rows come from (local dev JSONL, the official test.json + token-level test.txt, or Hugging Face) is
:mod:`.sources`; the CodeXGLUE line definitions are :mod:`.lines`; prompts and parsing of model output are
:mod:`.text`; the shared per-sample metric record is :mod:`.scoring`. See ``docs/completion.md``.
"""
