#!/usr/bin/env bash
# Install what floodwatch needs from Debian's packages, if missing.
# Runs as root (or through sudo); needs no prior setup on a fresh Debian 12.
set -euo pipefail
pkgs=(
    gcc make pkg-config libc6-dev             # build
    libsqlite3-dev libxxhash-dev libjansson-dev libinih-dev   # libraries
    libcmocka-dev python3-pandas sqlite3      # tests: unit, cross-check, golden
    clang libclang-rt-14-dev                  # fuzzing (libFuzzer)
    chromium                                  # the report's browser test
)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node and npm (the report's browser test, the DuckDB benchmark): by command,
# since a machine may have them from elsewhere (NodeSource bundles npm, and
# Debian's npm package would conflict with it).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
# CI always refreshes the package lists first; elsewhere only when installing.
if [ "${#missing[@]}" -gt 0 ] || [ "${CI:-}" = true ]; then
    $sudo apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
