#!/usr/bin/env bash
# Speed side by side in one run: `rebel bench model --json` against the PyTorch 1.13 CPU baseline
# (scripts/golden/torch_model_bench.py, 2 threads) with OpenBLAS's AVX-512 kernels forced and as installed, alternating
# for N rounds. Prints every round's figures and, per round, ours / PyTorch for training and sampling tokens/s.
# With a preset name (gpt2-124m, qwen2.5-0.5b) both sides run that checkpoint's shape with random weights (fewer timed
# steps: a 0.5B training step takes seconds here, tens of seconds in PyTorch), and PyTorch runs only with the AVX-512
# kernels forced (the installed fallback is the SSE3 one, and a 0.5B round of both took over 15 minutes); without one, the
# small reference model, PyTorch both ways.
#
#   flock /work/cpu.lock scripts/bench_vs_torch.sh [rounds=3] [preset]
set -euo pipefail
rounds=${1:-3}
preset=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
dotnet build -c Release "$root/src/Rebel.Cli" -nologo -v q >/dev/null
rebel="$root/src/Rebel.Cli/bin/Release/net10.0/rebel.dll"
torch="$root/scripts/golden/torch_model_bench.py"
ours_args=(bench model --json)
torch_args=()
if [[ -n "$preset" ]]; then
  ours_args+=(--preset "$preset" --steps 3)
  torch_args+=(--preset "$preset" --steps 2 --warmup 1 --sample-reps 1)
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for r in $(seq 1 "$rounds"); do
  dotnet "$rebel" "${ours_args[@]}" | sed "s/^/$r ours /" >>"$log"
  OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS=2 /usr/bin/python3 "$torch" "${torch_args[@]}" | sed "s/^/$r torch_avx512 /" >>"$log"
  [[ -n "$preset" ]] || OMP_NUM_THREADS=2 /usr/bin/python3 "$torch" "${torch_args[@]}" | sed "s/^/$r torch_installed /" >>"$log"
  grep "^$r " "$log"
done
/usr/bin/python3 - "$log" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    r, who, js = line.split(" ", 2)
    d = json.loads(js)
    name = d["bench"].replace("torch_", "")
    if name in ("train_peak_rss_mb", "peak_memory"):
        name = "train_peak_mb"
    value = d.get("tokens_per_s", d.get("mb", d.get("vm_hwm_mb")))
    rows.setdefault(int(r), {})[(who, name)] = value
print("round | ours train | torch avx512 train | torch installed train | train ratio (avx512, installed) | "
      "ours sample | torch avx512 sample | torch installed sample | sample ratio (avx512, installed) | ours peak MB | torch peak MB")
for r in sorted(rows):
    x = rows[r]
    def g(who, what): return x.get((who, what), float("nan"))
    ot, at, it = g("ours", "train"), g("torch_avx512", "train"), g("torch_installed", "train")
    os_, as_, is_ = g("ours", "sample"), g("torch_avx512", "sample"), g("torch_installed", "sample")
    def ratio(a, b): return "n/a" if b != b else f"{a / b:.2f}x"  # b != b: not run (NaN)
    print(f"{r} | {ot:,.1f} | {at:,.1f} | {it:,.1f} | {ratio(ot, at)}, {ratio(ot, it)} | {os_:,.1f} | {as_:,.1f} | {is_:,.1f} | "
          f"{ratio(os_, as_)}, {ratio(os_, is_)} | {g('ours', 'train_peak_mb'):.0f} | {g('torch_avx512', 'train_peak_mb'):.0f}")
PY
