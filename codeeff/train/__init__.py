"""``codeeff train``: producers of the variants the seeds train, in a form ``codeeff-hf`` loads.

- ``exits`` (:mod:`.exits`): LITE fine-tuning of the shared head at the exit layers (early-exit seed §4.4);
- ``exit-policy`` (:mod:`.policy`): exit classifier / PPO exit agent (seed §5) from cached per-exit observations,
  plus the oracle exit (an upper bound);
- ``bypass`` (:mod:`.bypass`): attention degeneration fine-tuning, M = M0·(1 − epoch/E) (attention-bypass seed eq. 4.1);
- ``abaco`` (:mod:`.abaco`): W = α·W0 + A·B with α decaying to 0, then W0 dropped (factorization seed §6.3).

Every producer trains on held-out CodeXGLUE rows (:mod:`.corpus`) and writes a ``training.json`` beside its output:
what was trained, on which rows, for how long (wall time, tokens seen), and the loss history.

The seeds: early exit = Briem, "Towards Resource Efficient Code Generation through Dynamic Early Exits in LLMs" (TU
Wien, 2025);
attention bypass = Candi, "Do LLMs really need so much Attention?" (Sapienza University of Rome, 2024);
factorization = Simionato, "Exploring Redundancy and Shared Representations for Transformer Models Optimization"
(PoliMi, 2024).
"""
