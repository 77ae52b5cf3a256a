#!/usr/bin/env bash
# Data-parallel benchmark for the README: `rebel compare`-sized REBEL iterations (arithmetic task, 64 prompts × 4 completions,
# all pairs, 2 epochs, 6 new tokens) run as 1 process × 2 threads and as `mpirun -np 2` × 1 thread each, side by side in one
# invocation. Prints seconds per iteration and the share of it spent in the gradient all-reduce (the metric time/allreduce_s).
# Run it on a quiet machine with 2+ cores and Open MPI installed (apt-get install openmpi-bin libopenmpi3).
#   scripts/bench_mpi.sh [ITERATIONS] [WORKDIR]      (defaults: 6 iterations, /tmp/rebel-bench-mpi; the first iteration is warm-up)
#   MODEL=path/to/hf-folder scripts/bench_mpi.sh    (skip building the arithmetic starting point; needs a matching tokenizer)
set -euo pipefail
cd "$(dirname "$0")/.."
ITERATIONS=${1:-6}
WORK=${2:-/tmp/rebel-bench-mpi}
mkdir -p "$WORK"
command -v mpirun >/dev/null || { echo "bench_mpi.sh: mpirun not found; install openmpi-bin libopenmpi3" >&2; exit 1; }
dotnet build src/Rebel.Cli -c Release -v quiet -nologo >/dev/null
REBEL=(dotnet src/Rebel.Cli/bin/Release/net10.0/rebel.dll)

# The starting point of `rebel compare --task arithmetic` for seed 1 (supervised tiny GPT-2), built once.
if [[ -z "${MODEL:-}" ]]; then
  MODEL="$WORK/compare/setup/seed1/sft"
  [[ -f "$MODEL/config.json" ]] || "${REBEL[@]}" compare --task arithmetic --algos rebel --seeds 1 --iterations 1 --out "$WORK/compare" >/dev/null
fi

# Arithmetic prompts in the task's format ("Q: …\nA:" with the answer for the exact reward).
PROMPTS="$WORK/prompts.jsonl"
: > "$PROMPTS"
names=(Ann Bob Cid Dee Eve Fay Gus Hal)
items=(apple pen cup book)
for i in $(seq 0 511); do
  a=$(( i % 10 )); b=$(( (i / 10) % 10 )); n=${names[$(( i % 8 ))]}; it=${items[$(( (i / 8) % 4 ))]}
  printf '{"prompt": "Q: %s has %d %ss and gets %d more. How many now?\\nA:", "answer": "%d"}\n' "$n" "$a" "$it" "$b" $(( a + b )) >> "$PROMPTS"
done

ARGS=(train --algo rebel --model "$MODEL" --prompts "$PROMPTS" --reward exact --iterations "$ITERATIONS" --prompts-per-iteration 64
      --completions-per-prompt 4 --pairing all-pairs --epochs 2 --minibatch-pairs 32 --max-new-tokens 6 --lr 3e-4 --adam-eps 1e-5
      --kl-coef 0.01 --checkpoint-every 0)

DOTNET_PROCESSOR_COUNT=2 "${REBEL[@]}" "${ARGS[@]}" --out "$WORK/one-process" >/dev/null
DOTNET_PROCESSOR_COUNT=1 mpirun --allow-run-as-root --oversubscribe --bind-to none -np 2 -x DOTNET_PROCESSOR_COUNT \
  "${REBEL[@]}" "${ARGS[@]}" --out "$WORK/two-processes" >/dev/null

# Mean over iterations 2.. of seconds per iteration and of the all-reduce seconds in it.
summary() {
  awk -v label="$1" '
    function field(name,   m) { if (match($0, "\"" name "\":[-0-9.eE+]+")) { m = substr($0, RSTART, RLENGTH); sub(/.*:/, "", m); return m + 0 } return 0 }
    NR > 1 { s += field("time/seconds_per_iteration"); r += field("time/allreduce_s"); n++ }
    END { if (n == 0) { print label ": need at least 2 iterations"; exit 1 }
          printf "%-28s %8.2f s/iteration   all-reduce %6.3f s/iteration (%4.1f %%)\n", label, s / n, r / n, 100 * r / s }' "$2"
}
echo "REBEL, $ITERATIONS iterations of 64 prompts x 4 completions (mean of iterations 2-$ITERATIONS), model $MODEL:"
summary "1 process x 2 threads" "$WORK/one-process/metrics.jsonl"
summary "mpirun -np 2 x 1 thread" "$WORK/two-processes/metrics.jsonl"
