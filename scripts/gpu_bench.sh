#!/usr/bin/env bash
# The GPU benchmark of issue 19 in one command: publishes bench/Rebel.GpuBench as one self-contained file (when it is missing or
# older than the sources) and runs it on cuda for the GPT-2 124M and Qwen2.5-0.5B presets (random weights of the checkpoints'
# exact shapes: training step full and LoRA r = 16, cached sampling), writing its JSON lines to OUT and to the terminal.
#
#   scripts/gpu_bench.sh [OUT=runs/gpu_bench.jsonl] [rebel-gpu-bench arguments: --steps N, --preset NAME..., --device D]
#
# What the GPU machine needs: an NVIDIA driver (libcuda.so.1; ILGPU emits PTX that the driver compiles, so no CUDA toolkit and
# no nvcc) and cuBLAS as libcublas.so.13 or libcublas.so.12 on the library path (CUDA 13 or 12 runtime libraries: a CUDA install's
# lib64, or pip's nvidia-cublas wheel with its folder in LD_LIBRARY_PATH). No .NET: the runtime is inside the published file.
# ILGPU 1.5.3 knows GPUs up to SM 9.0 (Hopper); newer ones are untested. Publishing needs the .NET 10 SDK (NuGet fetches the
# linux-x64 runtime pack on the first publish): on a GPU machine without the SDK, publish elsewhere
# (`scripts/gpu_bench.sh --publish-only`) and copy bench/Rebel.GpuBench/bin/publish/linux-x64/rebel-gpu-bench with the repository,
# or run that file directly: `rebel-gpu-bench --device cuda > out.jsonl`.
# Exit status: the program's (0 done; 1 a preset failed: its {"bench":"error",...} line is in OUT, the exception on standard error,
# and the other preset still ran; 2 a bad argument; 3 no usable GPU: the message names the library looked for).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
project="$root/bench/Rebel.GpuBench"
dir="$project/bin/publish/linux-x64"
bin="$dir/rebel-gpu-bench"
publish_only=false
if [[ "${1:-}" == "--publish-only" ]]; then publish_only=true; shift; fi
out="runs/gpu_bench.jsonl"
if [[ $# -gt 0 && "$1" != --* ]]; then out=$1; shift; fi

stale() {
  [[ ! -x "$bin" ]] && return 0
  [[ -n $(find "$root/src" "$project" -path '*/bin' -prune -o -path '*/obj' -prune -o -type f \( -name '*.cs' -o -name '*.csproj' \) -newer "$bin" -print -quit) ]]
}
if stale; then
  if ! command -v dotnet >/dev/null; then
    echo "gpu_bench.sh: $bin is missing or older than the sources, and there is no dotnet here to publish it; publish it on a machine with the .NET 10 SDK (scripts/gpu_bench.sh --publish-only) and copy it." >&2
    exit 1
  fi
  echo "publishing $bin ..." >&2
  dotnet publish "$project" -c Release -r linux-x64 --self-contained -o "$dir" -nologo -v q >&2
fi
echo "$bin: $(stat -c %s "$bin") bytes" >&2
$publish_only && exit 0

if command -v nvidia-smi >/dev/null; then
  echo "GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)" >&2
fi
mkdir -p "$(dirname "$out")"
set +e
"$bin" --device cuda "$@" | tee "$out"
status=${PIPESTATUS[0]}
set -e
echo "JSON lines in $out (exit status $status)" >&2
exit "$status"
