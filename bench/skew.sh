#!/usr/bin/env bash
# Skew experiment: does one hot key serialise batch's work?
#
# batch partitions work by minute (src/stream/bounded.h): each thread takes
# whole minutes, so skew over destinations should not matter, while skew in
# time (everything inside one minute) would leave one thread with all the
# work, were it not for the two-stage aggregation, which cuts a busy minute
# into slices aggregated on every thread and merged (--two-stage on, the
# default).
# Three files of the same 600,000 rows, differing only in dest_ip or
# timestamp:
#   spread    destinations drawn uniformly from 10,000 addresses
#   one_dest  every row to 10.0.1.1 (a fan-in flood's victim)
#   one_min   the spread file with every timestamp folded into one minute
# Each runs `batch --no-db --no-detect` on 1 thread, and on 2 threads with and
# without the two-stage aggregation (hyperfine).
# Usage: bench/skew.sh   Writes bench/out/skew.md.
set -euo pipefail
cd "$(dirname "$0")/.."
FW=$PWD/build/floodwatch
PYTHON=${PYTHON:-/usr/bin/python3}
out=bench/out
mkdir -p "$out"
base=$out/skew_base.csv
[ -s "$base" ] || "$FW" generate --seed 9 --duration 120 --rate 5000 --no-attacks --no-faults \
    -o "$base" 2>/dev/null
"$PYTHON" - "$base" "$out" <<'PY'
import random, sys
base, out = sys.argv[1], sys.argv[2]
rng = random.Random(7)
with open(base) as fh:
    head = fh.readline()
    rows = fh.read().splitlines()
cols = head.rstrip("\n").split(",")
t, d = cols.index("timestamp"), cols.index("dest_ip")
def write(name, fix):
    with open(f"{out}/skew_{name}.csv", "w") as o:
        o.write(head)
        for r in rows:
            # The flags field may be quoted with a comma inside: split on the
            # first fields only (timestamp, source_ip, dest_ip come first).
            p = r.split(",", 3)
            fix(p)
            o.write(",".join(p) + "\n")
def spread(p):
    n = rng.randrange(10000)
    p[d] = "10.%d.%d.%d" % (1 + n // 65536, (n // 256) % 256, n % 256)
def one_dest(p):
    p[d] = "10.0.1.1"
def one_min(p):
    spread(p)
    # 2026-01-01T01:17:59.945728 -> 2026-01-01T00:00:59.945728
    p[t] = p[t][:11] + "00:00" + p[t][16:]
assert t == 0 and d == 2
write("spread", spread)
write("one_dest", one_dest)
write("one_min", one_min)
PY
rows=$(($(wc -l < "$out/skew_spread.csv") - 1))
args=()
for f in spread one_dest one_min; do
    for run in "1 on" "2 off" "2 on"; do
        set -- $run
        args+=(-n "$f threads=$1 two-stage=$2"
               "$FW batch --no-db --no-detect --no-progress -q --threads $1 --two-stage $2 $out/skew_$f.csv")
    done
done
hyperfine -N --warmup 1 --runs 5 --export-json "$out/skew.json" "${args[@]}" > /dev/null
"$PYTHON" - "$out" "$rows" <<'PY'
import json, sys
out, rows = sys.argv[1], int(sys.argv[2])
r = {x["command"]: x for x in json.load(open(f"{out}/skew.json"))["results"]}
lines = ["| file (%s rows) | 1 thread s | 2 threads, one stage s | speed-up | "
         "2 threads, two-stage s | speed-up |" % format(rows, ","),
         "| --- | ---: | ---: | ---: | ---: | ---: |"]
for f in ("spread", "one_dest", "one_min"):
    a = r[f"{f} threads=1 two-stage=on"]["mean"]
    b = r[f"{f} threads=2 two-stage=off"]["mean"]
    c = r[f"{f} threads=2 two-stage=on"]["mean"]
    lines.append(f"| {f} | {a:.3f} | {b:.3f} | {a / b:.2f}x | {c:.3f} | {a / c:.2f}x |")
open(f"{out}/skew.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
