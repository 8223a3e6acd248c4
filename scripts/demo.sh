#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build, generate
# the seed dataset (2 hours, ~820k rows, four attacks, the seed's faults),
# analyse it in batch into the embedded SQLite store, replay it through the
# real-time detector into the same store, and score the incidents against the
# dataset's labels.
#   out/network_traffic.csv   the generated traffic log
#   out/floodwatch.db         the SQLite store (schema: docs/schema.md)
#   out/summary.json          the batch summary
#   out/incidents.jsonl       incident events (docs/incidents.md)
#   out/report.html           the analyst's report of the batch run (docs/report.md)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
make -j"$(nproc)"
mkdir -p out
[ -s out/network_traffic.csv ] || build/floodwatch generate -o out/network_traffic.csv
rm -f out/floodwatch.db out/floodwatch.db-wal out/floodwatch.db-shm
build/floodwatch batch --db out/floodwatch.db --summary out/summary.json out/network_traffic.csv
echo
build/floodwatch stream --input out/network_traffic.csv --alerts out/incidents.jsonl --db out/floodwatch.db
echo
build/floodwatch eval --input out/network_traffic.csv --alerts out/incidents.jsonl
echo
# The database is new, so run 1 is the batch run (the stream is run 2).
build/floodwatch report --db out/floodwatch.db --run 1 --labels out/network_traffic.csv -o out/report.html
echo "open out/report.html in a browser (it works offline)"
