#!/usr/bin/env bash
# Speed-up from one thread to two (issue 5's 1.8x): batch without and with
# the store, the whole batch job (store and detection), and stream --speed
# max, each on --threads 1 and --threads 2 over the seed-size file.
# This VM's wall times drift by 10-40% over minutes, so the runs are
# interleaved: ROUNDS hyperfine sessions (default 5), each running every
# command RUNS times (default 3) after a warm-up; the table gives the median
# of all ROUNDS * RUNS times of each command and the best of them, and the
# ratios of medians and of bests (the best is the run the VM disturbed least).
# Usage: bench/threads.sh   Writes bench/out/threads.md.
set -euo pipefail
cd "$(dirname "$0")/.."
FW=$PWD/build/floodwatch
ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-3}
out=bench/out
mkdir -p "$out"
csv=$out/network_traffic.csv
[ -s "$csv" ] || "$FW" generate -o "$csv" 2>/dev/null
db=$out/threads.db
args=()
for job in "batch-nodb|batch --no-db --no-detect --no-progress -q $csv" \
           "batch-db|batch --db $db --no-detect --no-progress -q $csv" \
           "batch-whole|batch --db $db --no-progress -q $csv" \
           "stream|stream -q --input $csv --alerts /dev/null"; do
    name=${job%%|*}
    cmd=${job#*|}
    for t in 1 2; do
        args+=(-n "$name threads=$t" "$FW ${cmd/ -q / -q --threads $t }")
    done
done
for r in $(seq "$ROUNDS"); do
    hyperfine -N --warmup 1 --runs "$RUNS" --prepare "rm -f $db" \
        --export-json "$out/threads_round$r.json" "${args[@]}" > /dev/null
done
rm -f "$db"
python3 - "$out" "$ROUNDS" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
times = {}
for r in range(1, rounds + 1):
    for x in json.load(open(f"{out}/threads_round{r}.json"))["results"]:
        times.setdefault(x["command"], []).extend(x["times"])
med = {k: statistics.median(v) for k, v in times.items()}
n = len(next(iter(times.values())))
best = {k: min(v) for k, v in times.items()}
lines = [f"| job | 1 thread s, median of {n} (best) | 2 threads s, median of {n} (best) "
         "| speed-up of medians (of bests) |",
         "| --- | ---: | ---: | ---: |"]
for job in ("batch-nodb", "batch-db", "batch-whole", "stream"):
    a, b = med[f"{job} threads=1"], med[f"{job} threads=2"]
    a1, b1 = best[f"{job} threads=1"], best[f"{job} threads=2"]
    lines.append(f"| {job} | {a:.3f} ({a1:.3f}) | {b:.3f} ({b1:.3f}) | {a / b:.2f}x ({a1 / b1:.2f}x) |")
open(f"{out}/threads.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
