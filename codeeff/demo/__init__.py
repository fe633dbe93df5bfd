"""`codeeff demo`: the end-to-end main job on the embedded SmolLM2-135M model.

It evaluates the unmodified model and three compressed variants (early exit with a confidence policy, an attention
bypass chosen by the one-pass cosine criterion, an activation-aware truncated-SVD factorization of the attention
q/k projections) on G-TransEval Java→Python (sandboxed unit tests) and on
CodeXGLUE PY150 line completion, then turns the four runs into ``leaderboards/demo.csv`` with its Markdown table and
Pareto plots, and prints the table. Every number is computed in this run; nothing is cached or canned except the
one-time safetensors conversion of the model weights.
"""

from codeeff.demo.run import main

__all__ = ["main"]
