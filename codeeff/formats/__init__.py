"""Shared data formats: what the benchmark files look like and how they map to the code a person writes.

- :mod:`codeeff.formats.codexglue`: CodeXGLUE's code-completion token format (PY150, JavaCorpus): tokenize,
  detokenize, literal placeholders and the literal tables;
- :mod:`codeeff.formats.codexglue_rows`: CodeXGLUE completion row files (line-level JSONL, token-level files, the
  Hugging Face copies) read strictly, with where they came from;
- :mod:`codeeff.formats.codexglue_lines`: CodeXGLUE's definitions of "one line" over its tokens;
- :mod:`codeeff.formats.gtranseval`: G-TransEval's space-tokenized code lines <-> formatted code.

Tasks, metrics and training read these formats; this package imports only codeeff.contracts and the data
directory resolver (:mod:`codeeff.data`) from the rest of codeeff.
"""
