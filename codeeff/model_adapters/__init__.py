"""lm-eval models that wrap Hugging Face causal LMs as early-exit, attention-bypassed or factorized variants."""
