"""``codeeff factorize``: compute a factorized variant of a model once and save it (spec + safetensors factors).

The saved folder is then evaluated with ``--model codeeff-hf --model_args pretrained=<base>,factors=<folder>``,
so the (possibly slow) decompositions and calibration are not repeated per run. Arguments use the same spec keys as
``--model_args`` and are validated against the model config before any weights load.
"""

from __future__ import annotations

import argparse
import json
import sys

from codeeff.model_adapters.spec import VariantSpecError, parse_variant


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codeeff factorize",
        description="Factorize a causal LM (svd / globalfact / mass) and save the variant as spec + safetensors.",
    )
    parser.add_argument("--model", required=True, help="base model folder or hub id (loaded offline)")
    parser.add_argument("--method", required=True, choices=["svd", "globalfact", "mass"])
    parser.add_argument("--targets", required=True, help="module roles, e.g. gate,up or q,k,v,o (OPT: fc1,fc2)")
    parser.add_argument("--layers", help="layers to target (list or range, e.g. 8-23; default all)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--rank", type=int, help="rank of the factors (svd, globalfact)")
    size.add_argument("--param-ratio", type=float, help="kept parameter fraction per matrix/group instead of rank")
    parser.add_argument("--global-init", type=int, default=None, help="globalfact global-factor init: 1 or 2")
    parser.add_argument("--act-aware", action="store_true", help="svd: ASVD activation scaling (needs --calib)")
    parser.add_argument("--calib", help="calibration texts: a .txt/.jsonl/.json file or task:NAME")
    parser.add_argument("--calib-n", type=int, default=None, help="number of calibration texts (default 32)")
    parser.add_argument("--dtype", default="float32", help="weights dtype (default float32)")
    parser.add_argument("--out", required=True, help="folder to write (replaced atomically)")
    parser.add_argument("--json", action="store_true", help="print the variant description as JSON")
    return parser


def _options(args: argparse.Namespace) -> dict:
    raw = {
        "factorize": args.method,
        "factorize_targets": args.targets,
        "factorize_layers": args.layers,
        "rank": args.rank,
        "param_ratio": args.param_ratio,
        "global_init": args.global_init,
        "act_aware": args.act_aware or None,
        "calib": args.calib,
        "calib_n": args.calib_n,
    }
    return parse_variant({k: v for k, v in raw.items() if v is not None}).options("factorize")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

        from codeeff.model_adapters import factorize
        from codeeff.model_adapters.arch import spec_for_config, spec_for_model
        from codeeff.model_adapters.transform import BuildContext

        options = _options(args)
        config = AutoConfig.from_pretrained(args.model)
        factorize.validate(options, config, spec_for_config(config))
        model = AutoModelForCausalLM.from_pretrained(args.model, dtype=args.dtype).eval()
        tokenizer = AutoTokenizer.from_pretrained(args.model) if args.calib else None
        context = BuildContext(tokenizer=tokenizer, calib=args.calib, calib_n=args.calib_n or 32)
        transform = factorize.build(options, model, spec_for_model(model), context)
        folder = factorize.save_factorized(transform, args.out, model)
    except (VariantSpecError, ValueError, OSError) as err:
        print(f"codeeff: error: {err}", file=sys.stderr)
        return 2
    described = {"folder": str(folder), **transform.describe()}
    if args.json:
        print(json.dumps(described, indent=2))
    else:
        print(
            f"wrote {folder}: {described['method']} on {','.join(described['roles'])}, "
            f"compression ratio {described['compression_ratio']:.4f}, "
            f"SSE_avg {described['sse_avg']:.6g}, RSSE_avg {described['rsse_avg']:.6g}"
        )
    return 0
