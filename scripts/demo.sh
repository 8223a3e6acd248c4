#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build, generate
# the seed dataset (2 hours, ~820k rows, four attacks, the seed's faults) and
# analyse it in batch into the embedded SQLite store.
#   out/network_traffic.csv   the generated traffic log
#   out/floodwatch.db         the SQLite store (schema: docs/schema.md)
#   out/summary.json          the batch summary
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
make -j"$(nproc)"
mkdir -p out
[ -s out/network_traffic.csv ] || build/floodwatch generate -o out/network_traffic.csv
rm -f out/floodwatch.db
build/floodwatch batch --db out/floodwatch.db --summary out/summary.json out/network_traffic.csv
