#!/usr/bin/env bash
# Batch benchmark: floodwatch vs DuckDB (from node), pandas and the sqlite3
# shell on the seed-size file.  See bench/README.md.
#
#   bench/run.sh            (make bench builds floodwatch first, then runs this)
#
# Environment: FW (floodwatch binary, default build/floodwatch), RUNS (5),
# WARMUP (1), PYTHON (/usr/bin/python3, which has Debian's pandas), SCALE (1:
# the seed-size file; N: N times as long, the seed's attack schedule repeated
# every two hours, so N times the rows; results in bench/out/batch-xN.md).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
FW=${FW:-$ROOT/build/floodwatch}
PYTHON=${PYTHON:-/usr/bin/python3}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
SCALE=${SCALE:-1}
OUT=$HERE/out
DATA=$OUT/network_traffic.csv
GEN_ARGS=()
if [ "$SCALE" != 1 ]; then
  case $SCALE in *[!0-9]*|0) echo "bench: SCALE must be a whole number >= 1, not '$SCALE'" >&2; exit 2 ;; esac
  DATA=$OUT/network_traffic_x$SCALE.csv
  GEN_ARGS=(--duration $((120 * SCALE)))
  for ((k = 1; k < SCALE; k++)); do
    o=$((120 * k))
    GEN_ARGS+=(--attack "syn_flood:$((o + 15))-$((o + 25)):50" --attack "http_flood:$((o + 40))-$((o + 50)):30"
               --attack "udp_flood:$((o + 70))-$((o + 80)):40" --attack "amplification:$((o + 95))-$((o + 105)):35")
  done
fi

log() { printf '== %s\n' "$*" >&2; }

# ---- what the benchmark needs --------------------------------------------
SUDO=
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi
pkgs=()
command -v hyperfine >/dev/null || pkgs+=(hyperfine)
[ -x /usr/bin/time ] || pkgs+=(time)
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)
command -v sqlite3 >/dev/null || pkgs+=(sqlite3)
"$PYTHON" -c 'import pandas' 2>/dev/null || pkgs+=(python3-pandas)
if [ ${#pkgs[@]} -gt 0 ]; then
  log "installing ${pkgs[*]} (apt)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi
if ! (cd "$HERE" && node -e "require.resolve('@duckdb/node-api')" >/dev/null 2>&1) ||
   [ "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]; then
  # npm install, not npm ci: the lock file holds only the linux-x64 bindings
  # (the registry reached here has no others), which npm ci rejects as out of
  # sync; npm install --no-save installs the locked versions and leaves the
  # lock file as it is.
  log "installing @duckdb/node-api (npm, from bench/package-lock.json)"
  (cd "$HERE" && npm install --no-save --no-audit --no-fund --loglevel=error)
fi
if [ ! -x "$FW" ]; then
  log "building floodwatch"
  make -C "$ROOT" >/dev/null
fi

# ---- the input -----------------------------------------------------------
mkdir -p "$OUT"
if [ ! -s "$DATA" ] || [ "$FW" -nt "$DATA" ]; then
  log "generating $DATA"
  "$FW" generate "${GEN_ARGS[@]}" -o "$DATA"
fi
ROWS=$(($(wc -l <"$DATA") - 1))
SIZE_MB=$(du -m "$DATA" | cut -f1)

# The same analysis as DuckDB's and pandas' (which do no detection): --no-detect.
# Single-threaded, like pandas (DuckDB uses both cores).
FW_CMD="$FW batch --threads 1 --no-db --no-detect --no-progress -q --summary $OUT/fw.json $DATA"
FWDB_CMD="$FW batch --threads 1 --db $OUT/fw.db --no-detect --no-progress -q --summary $OUT/fw-db.json $DATA"
# And the whole batch job: SQLite plus attack episodes from the detector.
FWDET_CMD="$FW batch --threads 1 --db $OUT/fw.db --no-progress -q --summary $OUT/fw-det.json $DATA"
# The same analysis as the second, and the whole job, on two threads.
FW2_CMD="$FW batch --threads 2 --db $OUT/fw.db --no-detect --no-progress -q --summary $OUT/fw-2.json $DATA"
FW2DET_CMD="$FW batch --threads 2 --db $OUT/fw.db --no-progress -q --summary $OUT/fw-2det.json $DATA"
DUCK_CMD="node $HERE/duckdb_batch.mjs $DATA"
PANDAS_CMD="$PYTHON $HERE/pandas_batch.py $DATA"
SQLITE_CMD="bash $HERE/sqlite_batch.sh $DATA"
NAMES=("floodwatch (--no-db)" "floodwatch (SQLite db)" "DuckDB (node, SQL)" "pandas"
       "floodwatch (SQLite db + detection)" "floodwatch (SQLite db, 2 threads)"
       "floodwatch (SQLite db + detection, 2 threads)" "sqlite3 shell (SQL)")
CMDS=("$FW_CMD" "$FWDB_CMD" "$DUCK_CMD" "$PANDAS_CMD" "$FWDET_CMD" "$FW2_CMD" "$FW2DET_CMD" "$SQLITE_CMD")

# ---- peak memory, and each tool's counts for the sanity check ------------
for i in "${!CMDS[@]}"; do
  log "peak memory: ${NAMES[$i]}"
  rm -f "$OUT/fw.db" "$OUT/fw.db-journal" "$OUT/fw.db-wal"
  # shellcheck disable=SC2086  # the commands are word lists (no spaces in paths)
  if ! /usr/bin/time -v -o "$OUT/time.$i.txt" ${CMDS[$i]} >"$OUT/stdout.$i.txt" 2>"$OUT/stderr.$i.txt"; then
    cat "$OUT/stderr.$i.txt" >&2
    echo "bench: ${NAMES[$i]} failed: ${CMDS[$i]}" >&2
    exit 1
  fi
done
rm -f "$OUT/fw.db"

# ---- wall time -----------------------------------------------------------
log "hyperfine: $WARMUP warm-up + $RUNS runs each"
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$OUT/hyperfine.json" \
  --prepare "true" --prepare "rm -f $OUT/fw.db" --prepare "true" --prepare "true" \
  --prepare "rm -f $OUT/fw.db" --prepare "rm -f $OUT/fw.db" --prepare "rm -f $OUT/fw.db" --prepare "true" \
  -n "${NAMES[0]}" "$FW_CMD" -n "${NAMES[1]}" "$FWDB_CMD" \
  -n "${NAMES[2]}" "$DUCK_CMD" -n "${NAMES[3]}" "$PANDAS_CMD" -n "${NAMES[4]}" "$FWDET_CMD" \
  -n "${NAMES[5]}" "$FW2_CMD" -n "${NAMES[6]}" "$FW2DET_CMD" -n "${NAMES[7]}" "$SQLITE_CMD"

# ---- the table -----------------------------------------------------------
DUCKDB_VERSION=$(node -p "require('$HERE/node_modules/@duckdb/node-api/package.json').version")
PANDAS_VERSION=$("$PYTHON" -c 'import pandas; print(pandas.__version__)')
export OUT ROWS SIZE_MB RUNS WARMUP DUCKDB_VERSION PANDAS_VERSION SCALE DATA
"$PYTHON" - "${NAMES[@]}" <<'EOF'
import json, os, platform, re, subprocess, sys

out = os.environ["OUT"]
names = sys.argv[1:]
with open(os.path.join(out, "hyperfine.json")) as fh:
    results = json.load(fh)["results"]
by_name = {r["command"]: r for r in results}

def rss_mib(i):
    with open(os.path.join(out, "time.%d.txt" % i)) as fh:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", fh.read())
    return int(m.group(1)) / 1024 if m else float("nan")

def counts(i):
    """rows_read, accepted, duplicates, quarantined from a tool's output."""
    fw = {0: "fw.json", 1: "fw-db.json", 4: "fw-det.json", 5: "fw-2.json", 6: "fw-2det.json"}
    if i in fw:
        path = os.path.join(out, fw[i])
    else:
        path = os.path.join(out, "stdout.%d.txt" % i)
    with open(path) as fh:
        text = fh.read()
    d = json.loads(text if i in fw else text.strip().splitlines()[-1])
    return {k: d[k] for k in ("rows_read", "accepted", "duplicates", "quarantined")}

base = by_name[names[0]]["mean"]
cpu = "?"
try:
    with open("/proc/cpuinfo") as fh:
        cpu = re.search(r"model name\s*:\s*(.*)", fh.read()).group(1).strip()
except (OSError, AttributeError):
    pass
lines = [
    "# Batch benchmark",
    "",
    "Input: `bench/out/%s` (`floodwatch generate`, %s): "
    "%s rows, %s MB. Machine: %s, %d cores (`nproc`), %s. "
    "hyperfine: %s warm-up + %s runs per tool; peak RSS from `/usr/bin/time -v` (one run). "
    "DuckDB %s (node %s, default threads); pandas %s (Python %s)."
    % (os.path.basename(os.environ["DATA"]),
       "seed defaults" if os.environ["SCALE"] == "1" else
       "%s times as long, the seed's schedule every two hours" % os.environ["SCALE"],
       format(int(os.environ["ROWS"]), ","), os.environ["SIZE_MB"], cpu, os.cpu_count(),
       platform.system(), os.environ["WARMUP"], os.environ["RUNS"],
       os.environ["DUCKDB_VERSION"],
       subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip(),
       os.environ["PANDAS_VERSION"], platform.python_version()),
    "",
    "| tool | mean wall s ± stddev | peak RSS MiB | wall time / floodwatch (--no-db) | DuckDB wall / this |",
    "| --- | ---: | ---: | ---: | ---: |",
]
duck = by_name[names[2]]["mean"]
for i, name in enumerate(names):
    r = by_name[name]
    lines.append("| %s | %.3f ± %.3f | %.1f | %.2f× | %.1f× |"
                 % (name, r["mean"], r["stddev"] or 0.0, rss_mib(i), r["mean"] / base,
                    duck / r["mean"]))
lines.append("")
lines.append("The first four and the last run the same analysis (floodwatch single-threaded "
             "with `--no-detect`: DuckDB, pandas and the sqlite3 shell do no detection); the fifth "
             "is the whole batch job, attack episodes included; the sixth and seventh are the "
             "second and the fifth on two threads (the default on this machine).")
lines.append("")

ref = counts(0)
warnings = []
for i, name in enumerate(names[1:], start=1):
    c = counts(i)
    if c != ref:
        warnings.append("WARNING: %s counts %s differ from floodwatch's %s: "
                        "the comparison is not like for like" % (name, c, ref))
inproc = []
for i in (2, 3):
    try:
        with open(os.path.join(out, "stdout.%d.txt" % i)) as fh:
            inproc.append("%s %.2f s" % (names[i], json.loads(fh.read().strip().splitlines()[-1])["seconds"]))
    except (OSError, ValueError, KeyError, IndexError):
        pass
if inproc:
    lines.append("Wall time is the whole process (start-up and imports included). Measured inside "
                 "the process, from reading the file to the last fetched result (one run): %s."
                 % ", ".join(inproc))
    lines.append("")
if warnings:
    lines += warnings + [""]
else:
    lines.append("All tools agree on rows read %(rows_read)d, accepted %(accepted)d, "
                 "duplicates %(duplicates)d, quarantined %(quarantined)d." % ref)
    lines.append("")
text = "\n".join(lines)
md = "batch.md" if os.environ["SCALE"] == "1" else "batch-x%s.md" % os.environ["SCALE"]
with open(os.path.join(out, md), "w") as fh:
    fh.write(text)
print()
print(text)
for w in warnings:
    print(w, file=sys.stderr)
EOF
