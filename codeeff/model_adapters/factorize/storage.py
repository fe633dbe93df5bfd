"""Save / load a factorized variant: ``variant.json`` (spec, layout, errors, base-model facts) + ``factors.safetensors``.

Shared tensors (GlobaL Fact's G, MASS's averaged matrices) are stored once under their own name; the layout says which
slots use them. Loading re-applies the spec to an unmodified base model (validated against its config and shapes), so
no transformers ``from_pretrained`` of renamed keys is involved. Writes are atomic: a temporary sibling folder is
renamed into place, so an interrupted save leaves nothing half-written.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from safetensors.torch import load_file, save_file
from torch import nn

from codeeff.model_adapters.arch import ArchSpec
from codeeff.model_adapters.factorize import linalg
from codeeff.model_adapters.factorize.plan import Slot
from codeeff.model_adapters.factorize.spec import FactorizeSpec, FactorizeSpecError
from codeeff.model_adapters.factorize.transform import FactorizeTransform

FORMAT = "codeeff.factorized/1"
LAYOUT_FILE = "variant.json"
FACTORS_FILE = "factors.safetensors"


def save_factorized(transform: FactorizeTransform, directory: str | Path, base_model: Any = None) -> Path:
    """Write the variant to ``directory`` (replaced atomically if it exists); returns the folder."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    config = getattr(base_model, "config", None)
    layout = {
        "format": FORMAT,
        "spec": transform.spec.as_dict(),
        "family": transform.arch.family,
        "base_model": {
            "name_or_path": getattr(config, "_name_or_path", None),
            "model_type": getattr(config, "model_type", None),
            "num_hidden_layers": getattr(config, "num_hidden_layers", None),
        },
        "slots": [slot.as_dict() for slot in transform.slots],
        "ranks": transform.ranks,
        "errors": {
            role: {"sse_avg": e.sse_avg, "rsse_avg": e.rsse_avg, "count": e.count}
            for role, e in transform.errors.items()
        },
    }
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        tmp.chmod(0o777 & ~_umask())  # mkdtemp makes 0700; the variant folder should be an ordinary one
        tensors = {name: t.detach().contiguous().cpu() for name, t in transform.tensors.items()}
        save_file(tensors, str(tmp / FACTORS_FILE), metadata={"format": FORMAT})
        (tmp / LAYOUT_FILE).write_text(json.dumps(layout, indent=2, sort_keys=True) + "\n")
        if directory.exists():
            old = directory.with_name(f".{directory.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(directory, old)
            os.replace(tmp, directory)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_layout(directory: str | Path) -> dict[str, Any]:
    """The ``variant.json`` of a saved variant, with a clear error if the folder is not one."""
    path = Path(directory) / LAYOUT_FILE
    if not path.is_file() or not (Path(directory) / FACTORS_FILE).is_file():
        raise FactorizeSpecError(
            f"{directory} is not a saved factorized variant (needs {LAYOUT_FILE} + {FACTORS_FILE})"
        )
    layout = json.loads(path.read_text())
    if layout.get("format") != FORMAT:
        raise FactorizeSpecError(f"{path}: unknown format {layout.get('format')!r} (expected {FORMAT})")
    return layout


def load_factorized(directory: str | Path, model: nn.Module, arch: ArchSpec) -> FactorizeTransform:
    """Rebuild the (un-applied) transform of a saved variant for ``model``."""
    layout = read_layout(directory)
    if layout["family"] != arch.family:
        raise FactorizeSpecError(f"{directory} was saved from a {layout['family']} model, this is {arch.family}")
    spec = FactorizeSpec.from_dict(layout["spec"]).validate(arch, model.config)
    tensors = load_file(str(Path(directory) / FACTORS_FILE))
    reference = next(model.parameters())
    tensors = {name: t.to(device=reference.device, dtype=reference.dtype) for name, t in tensors.items()}
    slots = [Slot(**slot) for slot in layout["slots"]]
    errors = {
        role: linalg.ApproximationErrors(e["sse_avg"], e["rsse_avg"], e["count"])
        for role, e in layout["errors"].items()
    }
    return FactorizeTransform(model, arch, spec, slots, tensors, errors, layout.get("ranks"), source=str(directory))
