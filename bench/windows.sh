#!/usr/bin/env bash
# Window sizes against detection delay and cost (issue 5).
#
#   bench/windows.sh        (after make; writes bench/out/windows.md)
#
# Two files, generated here: the seed defaults (four floods, which the
# short-window victim rules catch) and a scenario file (port scan,
# slowloris, low-and-slow, pulse wave, a SYN flood and a silent flash crowd,
# which exercise the long-window source rules).  For each window size the
# stream job runs over the file, eval scores it (attacks detected, type
# right, mean and max delay, false incidents), hyperfine times it (1 warm-up,
# 3 runs) and /usr/bin/time -v gives its peak memory.
#
# window.short is set to 1, 2, 10, 30 and 60 s (flood rates are per second,
# so the thresholds need no scaling); window.long to 10, 30 and 60 s with
# source_rate.events_per_window scaled to keep the brief's 100 events a
# minute.  Environment: FW (floodwatch binary, default build/floodwatch).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
FW=${FW:-$ROOT/build/floodwatch}
OUT=$HERE/out
mkdir -p "$OUT"
command -v hyperfine >/dev/null || { echo "windows.sh: needs hyperfine (bench/run.sh installs it)" >&2; exit 2; }

SEED=$OUT/win_seed.csv
SCEN=$OUT/win_scenarios.csv
[ -s "$SEED" ] || "$FW" generate -o "$SEED" 2>/dev/null
[ -s "$SCEN" ] || "$FW" generate --seed 4 --no-attacks --attack flash_crowd:10-25 --attack port_scan:30-40 \
    --attack slowloris:45-55 --attack low_and_slow:60-70 --attack pulse_wave:75-85 \
    --attack syn_flood:95-100:50 -o "$SCEN" 2>/dev/null

md=$OUT/windows.md
{
  echo "| file | setting | attacks | detected | type right | mean delay s | max delay s | false incidents | wall s (mean of 3) | peak RSS MiB |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} > "$md"

# one FILE LABEL SETTINGS...: run, score, time one setting.
one() {
  local file=$1 label=$2; shift 2
  local sets=() s
  for s in "$@"; do sets+=(--set "$s"); done
  local alerts=$OUT/win.jsonl
  "$FW" stream -q --input "$file" --alerts "$alerts" "${sets[@]}"
  local score
  score=$("$FW" eval --input "$file" --alerts "$alerts" --format json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
a = d["attacks"]
det = [x for x in a if x["detected"]]
delays = [x["delay_s"] for x in det if x["delay_s"] is not None]
print(len(a), len(det), sum(1 for x in det if x["type_correct"]),
      "%.1f" % (sum(delays) / len(delays)) if delays else "-",
      "%.1f" % max(delays) if delays else "-", len(d["false_incidents"]))')
  local cmd="$FW stream -q --input $file --alerts /dev/null"
  for s in "$@"; do cmd+=" --set $s"; done
  hyperfine -N -w 1 -r 3 --export-json "$OUT/win_hf.json" "$cmd" > /dev/null 2>&1
  local wall rss
  wall=$(/usr/bin/python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["mean"])' "$OUT/win_hf.json")
  rss=$( { /usr/bin/time -v $cmd > /dev/null; } 2>&1 | awk -F': ' '/Maximum resident/ {printf "%.1f", $2 / 1024}')
  read -r na nd nt mean max nf <<< "$score"
  echo "| $(basename "$file") | $label | $na | $nd | $nt | $mean | $max | $nf | $wall | $rss |" | tee -a "$md"
}

for w in 1 2 10 30 60; do
  one "$SEED" "window.short=$w" "window.short=$w"
done
for w in 10 30 60; do
  one "$SCEN" "window.long=$w" "window.long=$w" "source_rate.events_per_window=$((100 * w / 60))"
done
echo "wrote $md" >&2
