#!/usr/bin/env bash
# Shows the CI example's gate on this machine: the same candidate runs as codeeff-regress.yml, judged against the
# committed baseline (leaderboards/ci-baseline.csv + its scores-only samples), once for a harmless change (the dense
# model: what a pull request that does not change the model's outputs gets) and once for a harmful one (an early exit
# after 12 of 30 layers). Expected: exit 0 (green), then exit 1 (red).
#
#   MODEL=~/.cache/codeeff/models/SmolLM2-135M-Instruct examples/ci/show_gate.sh [OUT_DIR]
set -u
MODEL=${MODEL:-$(python -c 'from codeeff.demo.model import ensure_demo_model; print(ensure_demo_model(progress=False))')}
OUT=${1:-$(mktemp -d)}
HARMFUL=${HARMFUL:-early_exit=fixed:12}
cd "$(dirname "$0")/../.."

run() {  # run NAME [VARIANT_ARGS]: the workflow's candidate step (kept when OUT/NAME already holds a run)
  [ -n "$(find "$OUT/$1" -name 'results_*.json' 2>/dev/null)" ] && return 0
  python -m codeeff run --model codeeff-hf --model_args "pretrained=$MODEL,max_length=512${2:+,$2}" \
    --tasks codexglue_line_py150 --limit 16 --gen_kwargs max_gen_toks=24 --batch_size 8 --device cpu \
    --output_path "$OUT/$1" --log_samples > "$OUT/$1.log" 2>&1 || { tail -5 "$OUT/$1.log"; exit 3; }
}

gate() {  # the workflow's gate step
  python -m codeeff regress --baseline leaderboards/ci-baseline.csv --candidate "$OUT/$1" --rules examples/ci/RULES.toml
}

run harmless
echo "== harmless change (dense candidate) =="
gate harmless
echo "exit code: $?"
run harmful "$HARMFUL"
echo "== harmful change ($HARMFUL) =="
gate harmful
echo "exit code: $?"
