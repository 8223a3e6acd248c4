#!/usr/bin/env bash
# ThreadSanitizer over the parallel decoding: batch and stream on 2 and 4
# threads, on a generated file large enough for several ranges, must report
# no data race (halt_on_error makes a race fail the run); and batch's
# two-stage aggregation, on a file with a minute of 80k rows cut into slices;
# and a stream replay split over two threads with every sink.  FW names a binary
# built with -fsanitize=thread (make tsan builds build-tsan/floodwatch).
set -uo pipefail
FW=${FW:?FW must name a ThreadSanitizer build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
pass=0 fail=0
"$FW" generate --seed 4 --duration 40 --rate 500 --no-attacks --attack udp_flood:10-14:40 \
    -o "$tmp/t.csv" 2>/dev/null
for t in 2 4; do
    if "$FW" batch -q --db "$tmp/t$t.db" --threads $t --summary "$tmp/t$t.json" "$tmp/t.csv" 2>"$tmp/err" &&
       "$FW" stream -q --input "$tmp/t.csv" --threads $t --alerts /dev/null 2>>"$tmp/err"; then
        pass=$((pass + 1)); echo "ok   tsan_threads_$t"
    else
        fail=$((fail + 1)); echo "FAIL tsan_threads_$t"; grep -A20 "ThreadSanitizer" "$tmp/err" | head -30
    fi
done
"$FW" generate --seed 4 --duration 3 --rate 1000 --attack syn_flood:1-2:80 -o "$tmp/busy.csv" 2>/dev/null
for t in 2 3; do
    if "$FW" batch -q --no-progress --db "$tmp/b$t.db" --threads $t "$tmp/busy.csv" 2>"$tmp/err"; then
        pass=$((pass + 1)); echo "ok   tsan_two_stage_$t"
    else
        fail=$((fail + 1)); echo "FAIL tsan_two_stage_$t"; grep -A20 "ThreadSanitizer" "$tmp/err" | head -30
    fi
done
# A replay split over two threads, with every sink the second thread writes:
# the store (commits every 5 s of event time, or checkpoints), alerts, a hook.
for mode in commit checkpoint; do
    extra=(--checkpoint-every 5)
    [ $mode = checkpoint ] && extra+=(--checkpoint "$tmp/ck")
    if "$FW" stream -q --input "$tmp/t.csv" --threads 2 --db "$tmp/s$mode.db" --alerts "$tmp/a.jsonl" \
           --late "$tmp/late.jsonl" --hook 'cat > /dev/null' "${extra[@]}" 2>"$tmp/err" &&
       [ -s "$tmp/a.jsonl" ]; then
        pass=$((pass + 1)); echo "ok   tsan_stream_split_$mode"
    else
        fail=$((fail + 1)); echo "FAIL tsan_stream_split_$mode"; grep -A20 "ThreadSanitizer" "$tmp/err" | head -30
    fi
done
echo "tsan: $pass passed, $fail failed"
[ "$fail" = 0 ]
