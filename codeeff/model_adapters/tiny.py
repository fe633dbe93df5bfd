"""Tiny random-initialised Hugging Face models for tests and for benchmarks when no real model is present.

Nothing here downloads: the tokenizer is a byte-level BPE trained in memory on a small code corpus (so it can encode
any text, and round-trips code), and the model is built from a config with a fixed seed. ``save_tiny_model`` writes a
normal ``save_pretrained`` folder, so the result loads with ``AutoModelForCausalLM`` / ``--model hf`` like any hub
checkpoint.
"""

from __future__ import annotations

from pathlib import Path

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# A ChatML template, like SmolLM2's, so chat-prompt code paths can be exercised without a real chat model.
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
FAMILIES = ("llama", "mistral", "qwen2", "qwen3", "gemma2", "opt")

_CORPUS = [
    "def add(a, b):\n    return a + b\n",
    "public static int add(int a, int b) {\n    return a + b;\n}\n",
    "int add(int a, int b) { return a + b; }\n",
    "function add(a, b) { return a + b; }\n",
    "for i in range(10):\n    if i % 2 == 0:\n        print(i)\n",
    "import java.util.*;\nclass Main { public static void main(String[] args) { System.out.println(1); } }\n",
    "Translate the following Java code to Python.\n```python\n```\n",
    "<s> import os <EOL> from collections import defaultdict <EOL> x = <STR_LIT> </s>",
]


def build_tokenizer(vocab_size: int = 384, chat_template: bool = True):
    """A byte-level BPE tokenizer trained in memory (deterministic; encodes any UTF-8 text)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE(unk_token=None))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(_CORPUS * 4, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
    )
    if chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_config(family: str = "llama", vocab_size: int = 384, layers: int = 4, hidden: int = 64, heads: int = 4):
    """A small config of the given family (GQA where the family supports it, so K/V shapes differ from Q)."""
    import transformers as tf

    common = dict(vocab_size=vocab_size, bos_token_id=0, eos_token_id=0, pad_token_id=0)
    if family == "opt":
        return tf.OPTConfig(
            hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads, ffn_dim=hidden * 2,
            max_position_embeddings=512, word_embed_proj_dim=hidden // 2, **common,
        )  # fmt: skip
    kv_heads = max(1, heads // 2)
    llama_like = dict(
        hidden_size=hidden, intermediate_size=hidden * 2, num_hidden_layers=layers, num_attention_heads=heads,
        num_key_value_heads=kv_heads, max_position_embeddings=512, tie_word_embeddings=False, **common,
    )  # fmt: skip
    if family == "llama":
        return tf.LlamaConfig(**llama_like)
    if family == "mistral":
        return tf.MistralConfig(**llama_like, sliding_window=None)
    if family == "qwen2":
        return tf.Qwen2Config(**llama_like)
    if family == "qwen3":
        return tf.Qwen3Config(**llama_like, head_dim=hidden // heads)
    if family == "gemma2":
        return tf.Gemma2Config(
            **llama_like, head_dim=hidden // heads, query_pre_attn_scalar=hidden // heads, sliding_window=64,
            final_logit_softcapping=30.0, attn_logit_softcapping=50.0,
        )  # fmt: skip
    raise ValueError(f"unknown tiny family '{family}'; known: {', '.join(FAMILIES)}")


def build_tiny_model(family: str = "llama", seed: int = 0, **config_overrides):
    """A random-initialised causal LM in eval mode (fixed seed => identical weights every call)."""
    import torch
    from transformers import AutoModelForCausalLM

    config = build_config(family, **config_overrides)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    return model.eval()


def save_tiny_model(directory: str | Path, family: str = "llama", seed: int = 0, **config_overrides) -> Path:
    """Write a tiny model plus tokenizer as a normal ``save_pretrained`` folder and return its path."""
    directory = Path(directory)
    tokenizer = build_tokenizer(vocab_size=config_overrides.pop("vocab_size", 384))
    model = build_tiny_model(family, seed=seed, vocab_size=len(tokenizer), **config_overrides)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
