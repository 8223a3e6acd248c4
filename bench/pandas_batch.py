#!/usr/bin/env python3
"""The floodwatch batch analysis in pandas, for the benchmark.

    /usr/bin/python3 bench/pandas_batch.py FILE [--summary OUT.json]

Uses the cross-check's implementation of docs/cleaning.md
(tests/xcheck/pandas_summary.py): `load()` is what `pandas_summary()` runs,
and also returns the frame of accepted rows, from which the per-minute
per-destination and per-source aggregates are computed here as well (what
floodwatch stores in agg_minute_dst / agg_minute_src).  Prints one JSON line
of counts on stdout, like bench/duckdb_batch.mjs.
"""

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "xcheck"))

from pandas_summary import load, minute_aggregates  # noqa: E402


def main(argv):
    args = list(argv)
    out = None
    if "--summary" in args:
        i = args.index("--summary")
        out = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    summary, accepted = load(args[0])
    per_dst, per_src = minute_aggregates(accepted)
    elapsed = time.perf_counter() - t0
    line = {k: summary[k] for k in ("rows_read", "accepted", "duplicates", "quarantined")}
    line.update(minutes=len(summary["events_per_minute"]), per_minute_dst_rows=len(per_dst),
                per_minute_src_rows=len(per_src), seconds=round(elapsed, 3))
    if out:
        summary["per_minute_dst_rows"] = len(per_dst)
        summary["per_minute_src_rows"] = len(per_src)
        with open(out, "w") as fh:
            json.dump(summary, fh, indent=1)
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
