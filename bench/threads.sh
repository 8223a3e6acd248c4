#!/usr/bin/env bash
# Speed-up from one thread to two (issue 5's 1.8x): batch without and with
# the store, the whole batch job (store and detection), and stream --speed
# max, each on --threads 1 and --threads 2 over the seed-size file.
# hyperfine runs the pairs interleaved-by-command with a warm-up, RUNS runs
# each (default 15), since this VM's wall times drift by 10-20% over
# minutes; the table gives medians.
# Usage: bench/threads.sh   Writes bench/out/threads.md.
set -euo pipefail
cd "$(dirname "$0")/.."
FW=$PWD/build/floodwatch
RUNS=${RUNS:-15}
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
hyperfine -N --warmup 1 --runs "$RUNS" --prepare "rm -f $db" --export-json "$out/threads.json" \
    "${args[@]}" > /dev/null
rm -f "$db"
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
r = {x["command"]: x for x in json.load(open(f"{out}/threads.json"))["results"]}
lines = ["| job | 1 thread s (median) | 2 threads s (median) | speed-up |",
         "| --- | ---: | ---: | ---: |"]
for job in ("batch-nodb", "batch-db", "batch-whole", "stream"):
    a, b = r[f"{job} threads=1"]["median"], r[f"{job} threads=2"]["median"]
    lines.append(f"| {job} | {a:.3f} | {b:.3f} | {a / b:.2f}x |")
open(f"{out}/threads.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
