#!/usr/bin/env bash
# tests/report/run.sh - the report's end-to-end and browser test.
#
# Installs what is missing (Debian's chromium, playwright-core from the
# committed package-lock.json; never a browser download), makes traffic with
# `floodwatch generate` (seed defaults), runs batch into a database, writes
# the report with --labels (HTML and Markdown), checks the CLI's errors, then
# opens the HTML in chromium (check.mjs: console and page errors, every
# chart drawn, the incident shading and labels, read from the DOM) and saves
# a full-page screenshot ($SHOT, e.g. docs/report.png).  Prints "report: N passed, M
# failed" and exits non-zero on a failure.  Runs as root in CI (CI=true, no
# stdin); FW names the floodwatch binary (default build/floodwatch, built if
# missing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
FW="${FW:-$root/build/floodwatch}"
# The screenshot goes to a scratch file; SHOT=docs/report.png refreshes the docs one.
SHOT="${SHOT:-${TMPDIR:-/tmp}/floodwatch-report.png}"

if [ ! -x /usr/bin/chromium ]; then
    echo "report: installing chromium (Debian)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q </dev/null
    apt-get install -y -q chromium </dev/null
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
    echo "report: installing playwright-core (npm ci)"
    (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error </dev/null)
fi
if [ ! -x "$FW" ]; then
    make -C "$root" -j"$(nproc)" >/dev/null
fi

FW="$(realpath "$FW")"
SHOT="$(realpath -m "$SHOT")"
work="$(mktemp -d "${TMPDIR:-/tmp}/fw-report-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# Work in the temporary directory, so the report names its files plainly.
cd "$work"

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }

# step NAME CMD...: a step passes when CMD exits 0 (its output goes to a log).
step() {
    local name=$1
    shift
    if "$@" >"$work/step.log" 2>&1; then
        ok "$name"
    else
        not_ok "$name"
        sed 's/^/    /' "$work/step.log"
    fi
}

# expect_exit NAME STATUS PATTERN CMD...: CMD exits STATUS and says PATTERN on stderr.
expect_exit() {
    local name=$1 want=$2 pattern=$3
    shift 3
    local rc=0
    "$@" >"$work/out.log" 2>"$work/err.log" </dev/null || rc=$?
    if [ "$rc" -eq "$want" ] && grep -q -- "$pattern" "$work/err.log"; then
        ok "$name"
    else
        not_ok "$name (exit $rc, want $want; stderr: $(head -c 300 "$work/err.log"))"
    fi
}

step "generate traffic" "$FW" generate -o traffic.csv
step "batch into a database" "$FW" batch -q --no-progress --db floodwatch.db traffic.csv
step "report with --labels (HTML)" \
    "$FW" report --db floodwatch.db --labels traffic.csv -o report.html
episodes="$(grep -o '[0-9]* attack episodes' "$work/step.log" | grep -o '^[0-9]*' || echo 0)"
if [ "$episodes" -ge 1 ]; then ok "batch found attack episodes ($episodes)"; else not_ok "batch found attack episodes"; fi
step "report as Markdown" "$FW" report --db floodwatch.db -o report.md
for want in '^## 8. Detection evaluation' '^| # | type | entity |' '^| rows read |' 'needs the labelled traffic log'; do
    if grep -q -- "$want" "$work/report.md"; then ok "Markdown has '$want'"; else not_ok "Markdown has '$want'"; fi
done

expect_exit "missing database: exit 1, names the file" 1 "$work/none.db" \
    "$FW" report --db "$work/none.db" -o "$work/x.html"
expect_exit "missing run: exit 1" 1 "no run 99" "$FW" report --db floodwatch.db --run 99 -o "$work/x.html"
expect_exit "unwritable output: exit 1, names the file" 1 "$work/no/dir/x.html" \
    "$FW" report --db floodwatch.db -o "$work/no/dir/x.html"
expect_exit "unknown extension: usage error" 2 "format" "$FW" report --db floodwatch.db -o "$work/x.txt"
expect_exit "no -o: usage error" 2 "-o FILE" "$FW" report --db floodwatch.db

# The browser check reads everything from the page itself.
set +e
(cd "$here" && timeout 300 node check.mjs "$work/report.html" "$SHOT" "$episodes") >"$work/check.log" 2>&1
rc=$?
set -e
grep -v '^RESULT' "$work/check.log" || true
result="$(grep '^RESULT' "$work/check.log" || true)"
if [ -n "$result" ]; then
    p="${result#*passed=}"
    p="${p%% *}"
    f="${result#*failed=}"
    passed=$((passed + p))
    failed=$((failed + f))
fi
if [ "$rc" -ne 0 ] && { [ -z "$result" ] || [ "${f:-0}" -eq 0 ]; }; then
    not_ok "check.mjs exited $rc"
fi

echo "report: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
