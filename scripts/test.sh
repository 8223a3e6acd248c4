#!/usr/bin/env bash
# Every test: install what is missing, build with -Werror, then unit tests,
# golden CLI tests and the pandas cross-check; the same under AddressSanitizer
# and UndefinedBehaviorSanitizer; the parallel decoding under ThreadSanitizer;
# and a short libFuzzer run of each parser.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
export CI=${CI:-}
make -j"$(nproc)" CI=1
make CI=1 check
make CI=1 asan
make tsan
make fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
echo "all tests passed"
