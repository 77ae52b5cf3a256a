#!/usr/bin/env bash
# A/B of worker-team builds under competing CPU load: scripts/team_bench (a fixed set of GPT-2-decode-shaped column-panel
# products and 512³ GEMMs, or GPT-2 124M sampling calls) timed with 0, 1 and 2 busy-loop processes (`yes > /dev/null`, normal priority, unpinned unless
# PIN=CPU) running beside it. Variants run alternately within each repetition; prints one line per run and then the median
# wall seconds per load and variant.
#
#   dotnet build -c Release scripts/team_bench/TeamBench.csproj -o /tmp/tb_new      # and the same from the other tree
#   scripts/team_load_ab.sh REPS ROUNDS old=/tmp/tb_old old1=/tmp/tb_old@1 new=/tmp/tb_new
#
# ROUNDS is passed to TeamBench as words: `40` (kernel rounds) or "sample 1" (GPT-2 124M sampling calls).
# LABEL=DIR runs DIR/TeamBench.dll with every core; LABEL=DIR@1 with DOTNET_PROCESSOR_COUNT=1 (one thread). Each run is
# capped at 60 s (reported as wall 60+). Other jobs on the machine add load of their own: note `uptime` beside the figures.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 REPS ROUNDS LABEL=BUILD_DIR[@1] ..." >&2
  exit 2
fi
reps=$1 rounds=$2
shift 2
out=$(mktemp)
spinners=()
stop_spinners() {
  for pid in "${spinners[@]}"; do kill "$pid" 2>/dev/null || true; done
  spinners=()
}
trap stop_spinners EXIT
for load in 0 1 2; do
  for ((s = 0; s < load; s++)); do
    if [ -n "${PIN:-}" ]; then taskset -c "$PIN" yes > /dev/null & else yes > /dev/null & fi
    spinners+=($!)
  done
  for ((r = 1; r <= reps; r++)); do
    for variant in "$@"; do
      label=${variant%%=*} spec=${variant#*=} dir=${spec%@*} threads=""
      [ "$spec" != "$dir" ] && threads=${spec##*@}
      [ -f "$dir/TeamBench.dll" ] || { echo "$label: no $dir/TeamBench.dll (build scripts/team_bench first)" >&2; exit 2; }
      line=$(env ${threads:+DOTNET_PROCESSOR_COUNT=$threads} timeout 60 dotnet "$dir/TeamBench.dll" $rounds || echo '{"wall_s":60+}')
      wall=$(sed -n 's/.*"wall_s":\([0-9.+]*\).*/\1/p' <<< "$line") cpu=$(sed -n 's/.*"cpu_s":\([0-9.]*\).*/\1/p' <<< "$line")
      echo "load=$load rep=$r $label wall_s=$wall cpu_s=${cpu:--} loadavg1=$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out"
    done
  done
  stop_spinners
done
echo "median wall seconds (load = competing busy loops):"
for load in 0 1 2; do
  for variant in "$@"; do
    label=${variant%%=*}
    grep "^load=$load .* $label wall_s=" "$out" | sed 's/.*wall_s=\([0-9.]*\).*/\1/' | sort -n |
      awk -v l="$load" -v v="$label" '{a[NR] = $1} END {m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "load=%s %s median=%.2f runs=%d\n", l, v, m, NR}'
  done
done
rm -f "$out"
