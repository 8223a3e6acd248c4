#!/usr/bin/env bash
# Stream benchmarks: throughput of `stream --speed max` on the seed-size file,
# the detection stage alone (bench/detect_bench), arrival-to-incident latency,
# resident memory with 1M distinct sources inside one window, and the reader
# alone (bench/decode_bench: CSV split and decode in memory).
# Usage: bench/stream.sh   (after make build/floodwatch build/detect_bench build/decode_bench)
# Writes bench/out/stream.md.
set -euo pipefail
cd "$(dirname "$0")/.."
FW=$PWD/build/floodwatch
DB=$PWD/build/detect_bench
DEC=$PWD/build/decode_bench
out=bench/out
mkdir -p "$out"
csv=$out/network_traffic.csv
[ -s "$csv" ] || "$FW" generate -o "$csv" 2>/dev/null
rows=$(($(wc -l < "$csv") - 1))

echo "== stream --speed max on $csv ($rows rows), 1 and 2 threads"
hyperfine -N --warmup 1 --runs 11 --export-json "$out/stream_hyperfine.json" \
    "$FW stream -q --threads 1 --input $csv --alerts /dev/null" \
    "$FW stream -q --threads 2 --input $csv --alerts /dev/null" > /dev/null
mean=$(python3 -c "import json;print(json.load(open('$out/stream_hyperfine.json'))['results'][0]['median'])")
mean2=$(python3 -c "import json;print(json.load(open('$out/stream_hyperfine.json'))['results'][1]['median'])")
"$FW" stream -q --threads 1 --input "$csv" --alerts /dev/null --stats "$out/stream_stats.json"
/usr/bin/time -v "$FW" stream -q --input "$csv" --alerts /dev/null 2> "$out/stream_time.txt"
rss=$(awk -F: '/Maximum resident/ {print int($2/1024)}' "$out/stream_time.txt")

echo "== detection stage alone (decoded records, 13 passes), 7 runs"
for i in 1 2 3 4 5 6 7; do "$DB" "$csv" 13; done | tee "$out/detect_bench.txt"
det=$(grep -o '[0-9.]* M events/s' "$out/detect_bench.txt" | awk '{print $1}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')

echo "== the reader alone: CSV split, and split + decode, in memory (best of 15)"
"$DEC" "$csv" | tee "$out/decode_bench.txt"
dec=$(awk '/^split\+decode/ {print $(NF-3)}' "$out/decode_bench.txt")

echo "== latency: pulse waves (many incidents), arrival to incident event"
lat=$out/pulses.csv
[ -s "$lat" ] || "$FW" generate --seed 2 --duration 120 --no-attacks --attack pulse_wave:5-115 -o "$lat" 2>/dev/null
"$FW" stream -q --input "$lat" --alerts /dev/null --stats "$out/latency_stats.json"

echo "== memory: 1M distinct sources in one 60 s window, live input"
many=$out/many_sources.csv
[ -s "$many" ] || /usr/bin/python3 bench/many_sources.py 1000000 "$many"
/usr/bin/time -v sh -c "cat $many | $FW stream -q --input - --alerts /dev/null --stats $out/many_stats.json" \
    2> "$out/many_time.txt"
many_rss=$(awk -F: '/Maximum resident/ {print int($2/1024)}' "$out/many_time.txt")
"$DB" --sources 1000000 | tee "$out/detect_sources.txt"

python3 - "$out" "$rows" "$mean" "$rss" "$det" "$many_rss" "$mean2" "$dec" <<'PY'
import json, sys
out, rows, med, rss, det, many_rss = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
med2 = float(sys.argv[7])
dec = sys.argv[8]
st = json.load(open(f"{out}/stream_stats.json"))
lat = json.load(open(f"{out}/latency_stats.json"))
many = json.load(open(f"{out}/many_stats.json"))
L = lat.get("latency_us", {})
lines = [
    "| measure | value |", "| --- | ---: |",
    f"| stream --speed max, seed file ({rows} rows), 1 thread, median wall of 11 | {med:.3f} s = {rows/med/1e6:.2f} M rows/s |",
    f"| the same on 2 threads | {med2:.3f} s = {rows/med2/1e6:.2f} M rows/s |",
    f"| of which (1 thread): load (read, decode, clean) / sort / process | {st['phases_s']['load']:.3f} / {st['phases_s']['sort']:.3f} / {st['phases_s']['process']:.3f} s |",
    f"| stream peak RSS (the replay spills by minute, 16 MiB in memory) | {rss} MiB |",
    f"| detection stage alone, decoded seed records, median of 7 | {det} M events/s |",
    f"| the reader alone: CSV split and decode in memory, best of 15 | {dec} M rows/s |",
    f"| arrival-to-incident latency, {L.get('n', 0)} incidents: p50 / p99 / max | {L.get('p50', 0):.0f} / {L.get('p99', 0):.0f} / {L.get('max', 0):.0f} us |",
    f"| 1M distinct sources in one window, live stream: peak RSS | {many_rss} MiB (detector state {many['detector']['state_bytes']/1048576:.0f} MiB, {many['detector']['src_keys']} source keys) |",
]
open(f"{out}/stream.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
