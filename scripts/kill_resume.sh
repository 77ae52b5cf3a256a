#!/usr/bin/env bash
# The kill-and-resume property, measured: one uninterrupted `rebel train --checkpoint-every 1` run, then TRIALS runs of the
# same command each SIGKILLed at a seeded random moment and continued with --resume (from the start when no checkpoint was
# written yet) until it completes; each trial's model/ and checkpoint/ weights must equal the uninterrupted run's byte for
# byte and its metrics.jsonl value for value (timings left out), as scripts/compare_runs.py checks.
# With SIGNAL INT instead of KILL (Ctrl-C) the reward is a cmd: program that takes a moment per answer, so most interrupts land
# while Rebel waits for it (the interrupt checkpoint must then hold the start of that iteration), and the signal comes at a
# seeded moment after a seeded iteration rather than a time into the run.
# Usage: scripts/kill_resume.sh [WORK_DIR] [TRIALS] [SEED] [SIGNAL]   (build first: dotnet build -c Release src/Rebel.Cli)
set -u
work=${1:-/tmp/kill-resume}
trials=${2:-20}
seed=${3:-1}
signal=${4:-KILL}
reward=exact
[ "$signal" = INT ] && reward='cmd:while IFS= read -r line; do sleep 0.02; echo "{\"reward\": ${#line}}"; done'
here=$(cd "$(dirname "$0")" && pwd)
# SIGINT's default handling restored: a script's background jobs (and a script started in the background) inherit it ignored,
# and .NET then never sees a Ctrl-C.
rebel=(env --default-signal=INT dotnet "$here/../src/Rebel.Cli/bin/Release/net10.0/rebel.dll")
rm -rf "$work" && mkdir -p "$work"

# A small trained model folder ($work/qs/sft) and 12 arithmetic prompts of its task's form.
"${rebel[@]}" quickstart --sft-steps 40 --iterations 1 --out "$work/qs" > "$work/quickstart.log" 2>&1 || { echo "quickstart failed"; exit 1; }
for i in $(seq 1 12); do printf '{"prompt":"Q: What is %d plus %d?\\nA:","answer":"%d"}\n' "$i" "$((i * 3 % 7))" "$((i + i * 3 % 7))"; done > "$work/prompts.jsonl"

train() { # OUT [extra flags]; `exec train ...` in a background subshell makes the SIGKILL reach rebel itself
    local out=$1; shift
    exec_or "${rebel[@]}" train --model "$work/qs/sft" --prompts "$work/prompts.jsonl" --reward "$reward" --out "$out" \
        --iterations 30 --prompts-per-iteration 4 --max-new-tokens 8 --mini-batch-pairs 2 --epochs 2 --lr 1e-4 --seed 5 \
        --checkpoint-every 1 "$@" > /dev/null 2>> "$out.log"
}

exec_or() { if [ -n "${EXEC:-}" ]; then exec "$@"; else "$@"; fi; }

start=$(date +%s.%N)
train "$work/base" || { echo "uninterrupted run failed"; exit 1; }
span=$(echo "$(date +%s.%N) - $start" | bc)
echo "uninterrupted run: ${span}s"

RANDOM=$seed
resumed=0 matched=0 fresh=0
for t in $(seq 1 "$trials"); do
    out="$work/trial$t"
    delay=$(echo "scale=3; $span * $RANDOM / 32767" | bc)
    (EXEC=1 train "$out") & pid=$!
    if [ "$signal" = INT ]; then
        # Ctrl-C after a seeded iteration k (0-29) plus up to 0.3 s, so it lands inside the run however loaded the machine is.
        k=$((RANDOM % 30)) delay=$(echo "scale=3; 0.3 * $RANDOM / 32767" | bc)
        while kill -0 "$pid" 2> /dev/null && [ "$(cat "$out/metrics.jsonl" 2> /dev/null | wc -l)" -lt "$k" ]; do sleep 0.05; done
        delay="$delay after iteration $k,"
        sleep "${delay%% *}"
    else
        sleep "$delay"
    fi
    kill -"$signal" "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
    code=$?
    # What the kill left: the checkpoint's iteration, a writer's temporary folder, or only checkpoint.old (killed between the renames).
    left=$(grep -ho '"iteration": [0-9]*' "$out/checkpoint/trainer_state.json" 2> /dev/null | tr -dc 0-9)
    left="exit $code, checkpoint ${left:-none}"
    compgen -G "$out/.checkpoint.tmp-*" > /dev/null && left="$left, temporary folder"
    [ -d "$out/checkpoint.old" ] && [ ! -d "$out/checkpoint" ] && left="$left, only checkpoint.old"
    done=0
    for attempt in 1 2 3; do
        if [ -d "$out/checkpoint" ] || [ -d "$out/checkpoint.old" ]; then train "$out" --resume "$out/checkpoint"; else fresh=$((fresh + 1)); train "$out"; fi
        if [ $? -eq 0 ]; then done=1; break; fi
    done
    verdict="did not complete"
    if [ $done -eq 1 ]; then
        resumed=$((resumed + 1))
        if python3 "$here/compare_runs.py" "$work/base" "$out" > "$out.compare" 2>&1; then matched=$((matched + 1)); verdict=match; else verdict="differs: $(tr '\n' ' ' < "$out.compare")"; fi
    fi
    echo "trial $t: killed after ${delay}s ($left); $verdict"
done
echo "$resumed of $trials trials completed after the kill, $matched equal the uninterrupted run ($fresh restarted from the beginning: killed before the first checkpoint)"
[ "$matched" -eq "$trials" ]
