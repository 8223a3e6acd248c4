#!/usr/bin/env bash
# Golden tests of the floodwatch CLI: run the binary on fixed inputs and
# diff -u its output against tests/cli/golden/.  FW names the binary.
# UPDATE=1 rewrites the golden files (review the diff before committing).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
FW=${FW:-$here/../../build/floodwatch}
golden=$here/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# check NAME: compare $tmp/NAME.out with golden/NAME.out
check() {
    local name=$1
    if [ "${UPDATE:-}" = 1 ]; then
        cp "$tmp/$name.out" "$golden/$name.out"
    fi
    if diff -u "$golden/$name.out" "$tmp/$name.out"; then
        pass=$((pass + 1)); echo "ok   $name"
    else
        fail=$((fail + 1)); echo "FAIL $name"
    fi
}

# expect NAME CODE: the last command's status must be CODE
expect_status() {
    local name=$1 want=$2 got=$3
    if [ "$got" != "$want" ]; then
        fail=$((fail + 1)); echo "FAIL $name: exit $got, want $want"
        return 1
    fi
    return 0
}

cd "$tmp"
cp "$here/../data/faults.csv" .

# 1. The hand-written fault file: summary JSON, readable summary, database.
"$FW" batch --db f.db --summary f.json faults.csv > batch_faults_text.out 2> f.err
expect_status batch_faults 0 $? && check batch_faults_text
sed '/"db":/d' f.json > batch_faults_json.out
check batch_faults_json
sqlite3 -header f.db "SELECT line, reasons, substr(raw,1,40) AS raw FROM quarantine ORDER BY line;
  SELECT kind, name, count FROM dq_counters ORDER BY kind, name;
  SELECT minute, events, syn_only, distinct_src, distinct_dst FROM agg_minute ORDER BY minute;
  SELECT minute, dst, events, distinct_src FROM agg_minute_dst ORDER BY minute, dst;
  SELECT rows_read, accepted, quarantined, duplicates, late, first_event, last_event, extra_columns FROM runs;" \
  > batch_faults_db.out
check batch_faults_db

# 2. A generated file (seed 3, 20 minutes, one SYN flood): the JSON summary.
"$FW" generate --seed 3 --rate 60 --duration 20 --no-attacks --attack syn_flood:5-8:20 -o g.csv 2>/dev/null
"$FW" batch --no-db --summary g.json g.csv > /dev/null 2>&1
expect_status batch_generated 0 $? && { cp g.json batch_generated_json.out; check batch_generated_json; }

# 3. Bad input: a clear message naming the file, exit 1, nothing written.
bad() {
    local name=$1; shift
    rm -f bad.db
    "$FW" batch --db bad.db --summary bad.json "$@" > /dev/null 2> "$name.out"
    local rc=$?
    expect_status "$name" 1 $rc || return
    if [ -e bad.db ] || [ -e bad.json ] || ls .bad.* bad.db.* > /dev/null 2>&1; then
        fail=$((fail + 1)); echo "FAIL $name: left a file behind"; return
    fi
    check "$name"
}
bad bad_missing_file no-such-file.csv
mkdir adir; bad bad_directory adir
printf '\177ELF\002\001\001\000\000\000\000\000' > binary.bin; bad bad_binary binary.bin
printf 'time,src,dst\n1,2,3\n' > wrong_header.csv; bad bad_wrong_header wrong_header.csv
: > empty.csv; bad bad_empty empty.csv

# 4. Usage errors exit 2.
"$FW" batch > /dev/null 2>&1; expect_status usage_no_file 2 $? && pass=$((pass + 1))
"$FW" batch --bogus x.csv > /dev/null 2>&1; expect_status usage_bad_option 2 $? && pass=$((pass + 1))
"$FW" nosuchcommand > /dev/null 2>&1; expect_status usage_bad_command 2 $? && pass=$((pass + 1))

# 5. Stdin and a file give the same summary.
"$FW" batch --no-db --summary s1.json - < faults.csv > /dev/null 2>&1
"$FW" batch --no-db --summary s2.json faults.csv > /dev/null 2>&1
if diff <(sed '/"input":/d' s1.json) <(sed '/"input":/d' s2.json) > /dev/null; then
    pass=$((pass + 1)); echo "ok   stdin_equals_file"
else
    fail=$((fail + 1)); echo "FAIL stdin_equals_file"
fi

# 6. stream + eval on a generated file (two attacks): golden incidents and evaluation.
"$FW" generate --seed 5 --rate 500 --duration 30 --no-attacks --attack syn_flood:8-12:40 \
    --attack amplification:20-24:30 -o s.csv 2>/dev/null
"$FW" stream -q --input s.csv --alerts s.jsonl --db s.db
expect_status stream_run 0 $? && {
    /usr/bin/python3 -c "
import json, sys
for l in open('s.jsonl'):
    e = json.loads(l)
    print(e['event'], e['id'], e['type'], e['entity'], len(e['victims']), e['start'], e['detected_at'], e['end'], e['rule'])
" > stream_incidents.out
    check stream_incidents
    "$FW" eval --input s.csv --alerts s.jsonl > stream_eval.out 2>/dev/null
    check stream_eval
    sqlite3 s.db "SELECT type, entity, start, end, victims FROM incidents ORDER BY start;
      SELECT id, event FROM incident_events ORDER BY event_time, id, event;" > stream_db.out
    check stream_db
}

# The stored aggregates of two runs are equal, table by table (run ids aside).
same_tables() {
    local q="SELECT minute, events, bytes, packets, syn_only, tcp, udp, distinct_src, distinct_dst,
               quarantined, duplicates, repaired FROM agg_minute ORDER BY minute;
             SELECT minute, dst, events, bytes, syn_only, distinct_src FROM agg_minute_dst ORDER BY 1, 2;
             SELECT minute, country, events, bytes FROM agg_minute_country ORDER BY 1, 2;
             SELECT minute, proto, dst_port, events FROM agg_minute_port ORDER BY 1, 2, 3;
             SELECT id, type, entity, start, end, victims FROM incidents ORDER BY id;"
    diff <(sqlite3 "$1" "$q") <(sqlite3 "$2" "$q") > /dev/null
}

# 7. kill -9 and restart: the incidents equal those of an uninterrupted run.
"$FW" stream -q --input s.csv --alerts full.jsonl --speed 900 > /dev/null 2>&1
kills=0
for attempt in 1 2 3 4 5 6 7 8; do
    timeout -s KILL 0.6 "$FW" stream -q --input s.csv --alerts killed.jsonl --db killed.db \
        --speed 900 --checkpoint ck --checkpoint-every 20 > /dev/null 2>&1
    rc=$?
    [ "$rc" = 137 ] && kills=$((kills + 1))
    [ "$rc" = 0 ] && break
done
# How far each attempt gets depends on the machine (a sanitizer build may
# be killed all eight times): the last restart runs to the end unkilled.
if [ "$rc" = 137 ]; then
    "$FW" stream -q --input s.csv --alerts killed.jsonl --db killed.db \
        --speed 900 --checkpoint ck --checkpoint-every 20 > /dev/null 2>&1
    rc=$?
fi
if [ "$rc" = 0 ] && [ "$kills" -ge 2 ] && cmp -s full.jsonl killed.jsonl && [ ! -e ck/state.ckpt ] &&
   [ "$(sqlite3 killed.db 'SELECT count(*) FROM runs')" = 1 ] &&
   [ "$(sqlite3 killed.db 'SELECT count(*) FROM incidents')" = "$(grep -c '"event":"start"' full.jsonl)" ] &&
   same_tables killed.db s.db; then
    pass=$((pass + 1)); echo "ok   stream_kill_restart ($kills kills)"
else
    fail=$((fail + 1)); echo "FAIL stream_kill_restart (rc $rc, $kills kills)"
    diff full.jsonl killed.jsonl | head -5
fi

# 8. Bad settings are refused naming file, line and key; bad flags exit 2.
printf '[syn_flood]\npps = 15\nshare = lots\n' > bad.ini
"$FW" stream --input s.csv --config bad.ini > /dev/null 2> bad_config.out
expect_status bad_config 2 $? && check bad_config
printf '[syn_flood]\nppz = 15\n' > bad2.ini
"$FW" stream --input s.csv --config bad2.ini > /dev/null 2> bad_config_key.out
expect_status bad_config_key 2 $? && check bad_config_key
"$FW" stream --input s.csv --set window.short=0 > /dev/null 2> bad_set.out
expect_status bad_set 2 $? && check bad_set

# 9. Detection end to end: every attack found with its type within 5 s and no
#    false incident (eval --fail-on-miss exits 3 otherwise), on the seed
#    defaults, another seed, a changed schedule and the extra scenarios (the
#    flash crowd must stay silent).
detect_case() {
    local name=$1; shift
    "$FW" generate "$@" -o d.csv 2>/dev/null &&
    "$FW" stream -q --input d.csv --alerts d.jsonl &&
    "$FW" eval --input d.csv --alerts d.jsonl --fail-on-miss > d.eval 2>/dev/null
    local rc=$?
    if [ "$rc" = 0 ]; then
        pass=$((pass + 1)); echo "ok   detect_$name ($(grep -o '[0-9]* attacks, [0-9]* detected' d.eval))"
    else
        fail=$((fail + 1)); echo "FAIL detect_$name (exit $rc)"; grep -E "NO|summary|false" d.eval | head -5
    fi
}
detect_case seed_defaults
detect_case seed_123 --seed 123
detect_case changed_schedule --seed 9 --drop-attack udp_flood --attack udp_flood:60-68:25 \
    --drop-attack syn_flood --attack syn_flood:5-9:60 --drop-attack http_flood --attack http_flood:112-118:20
detect_case scenarios --seed 4 --no-attacks --attack flash_crowd:10-25 --attack port_scan:30-40 \
    --attack slowloris:45-55 --attack low_and_slow:60-70 --attack pulse_wave:75-85 --attack syn_flood:95-100:50
# batch runs the same detector over the whole (shuffled) file: four episodes.
"$FW" generate -o seed.csv 2>/dev/null
if "$FW" batch -q --db ep.db --summary ep.json seed.csv &&
   [ "$(/usr/bin/python3 -c "import json; print(' '.join(e['type'] for e in json.load(open('ep.json'))['episodes']))")" = \
     "syn_flood http_flood udp_flood amplification" ] &&
   [ "$(sqlite3 ep.db "SELECT count(*) FROM incidents WHERE end IS NOT NULL")" = 4 ] &&
   [ "$(sqlite3 ep.db "SELECT count(DISTINCT dst) FROM incident_victims")" = 10 ]; then
    pass=$((pass + 1)); echo "ok   batch_episodes"
else
    fail=$((fail + 1)); echo "FAIL batch_episodes"
fi

if "$FW" generate --seed 6 --duration 60 --no-attacks --attack flash_crowd:10-50:20 -o fc.csv 2>/dev/null &&
   "$FW" stream -q --input fc.csv --alerts fc.jsonl && [ ! -s fc.jsonl ]; then
    pass=$((pass + 1)); echo "ok   detect_flash_crowd_silent"
else
    fail=$((fail + 1)); echo "FAIL detect_flash_crowd_silent"; head -2 fc.jsonl
fi

# 10. Live input that goes quiet does not stall the watermark: a flood runs to
#     the end of the input, the pipe stays open 2.5 s without data, and the
#     incident ends on wall time (its end event comes later in event time than
#     the last flow); closed at once, it ends exactly at the last flow.
"$FW" generate --seed 8 --rate 500 --duration 3 --no-attacks --attack syn_flood:2-3:50 --no-faults \
    -o live.csv 2>/dev/null
(head -1 live.csv; tail -n +2 live.csv | sort) > live_sorted.csv
last=$(tail -1 live_sorted.csv | cut -d, -f1)
(cat live_sorted.csv; sleep 2.5) | "$FW" stream -q --input - --set time.idle_timeout=0.3 \
    --set incident.cooldown=1 --alerts live.jsonl
if /usr/bin/python3 - "$last" <<'PY'
import json, sys
from datetime import datetime
last = datetime.fromisoformat(sys.argv[1])
ends = [json.loads(l) for l in open("live.jsonl") if '"event":"end"' in l]
t = datetime.fromisoformat(ends[0]["event_time"].rstrip("Z"))
sys.exit(0 if len(ends) == 1 and (t - last).total_seconds() > 1.0 else 1)
PY
then
    pass=$((pass + 1)); echo "ok   live_idle_moves_watermark"
else
    fail=$((fail + 1)); echo "FAIL live_idle_moves_watermark"; cat live.jsonl | cut -c1-200
fi

# 11. A running stream commits as event time passes, without checkpoints: a
#     reader sees minutes while it still runs.
( (head -1 live_sorted.csv; tail -n +2 live_sorted.csv | head -40000); sleep 3;
  tail -n +40002 live_sorted.csv ) |
    "$FW" stream -q --input - --db running.db --alerts /dev/null --checkpoint-every 30 &
spid=$!
sleep 2
during=$(sqlite3 running.db "SELECT count(*) FROM agg_minute" 2>/dev/null || echo 0)
wait $spid
after=$(sqlite3 running.db "SELECT count(*) FROM agg_minute")
if [ "${during:-0}" -ge 1 ] && [ "$after" -gt "$during" ]; then
    pass=$((pass + 1)); echo "ok   stream_commits_while_running ($during then $after minutes)"
else
    fail=$((fail + 1)); echo "FAIL stream_commits_while_running ($during then $after minutes)"
fi

# 12. The hook gets every incident event, in order, as the alerts file does;
#     a failing hook is counted and reported, and detection goes on.
"$FW" stream -q --input s.csv --alerts hooked.jsonl --hook 'cat >> hook.out'
if cmp -s hooked.jsonl hook.out && [ "$(wc -l < hook.out)" -ge 4 ]; then
    pass=$((pass + 1)); echo "ok   stream_hook"
else
    fail=$((fail + 1)); echo "FAIL stream_hook"
fi
"$FW" stream --input s.csv --alerts failhook.jsonl --hook 'exit 3' > /dev/null 2> failhook.err
rc=$?
if [ "$rc" = 0 ] && cmp -s failhook.jsonl hooked.jsonl &&
   grep -q "hook 'exit 3' failed $(wc -l < hooked.jsonl) times" failhook.err; then
    pass=$((pass + 1)); echo "ok   stream_hook_failure_counted"
else
    fail=$((fail + 1)); echo "FAIL stream_hook_failure_counted (exit $rc)"; cat failhook.err
fi

# 13. Replay semantics: bounded disorder within the allowed out-of-orderness
#     loses nothing (the attacks are still found, detection later by that much);
#     disorder beyond it makes flows late, each counted and written to --late;
#     --speed paces the replay by event time.
"$FW" stream -q --input s.csv --alerts dis_ok.jsonl --disorder 3 --set time.out_of_order=4 \
    --stats dis_ok.json
if [ "$(/usr/bin/python3 -c "import json; print(json.load(open('dis_ok.json'))['late'])")" = 0 ] &&
   "$FW" eval --input s.csv --alerts dis_ok.jsonl --max-delay 8 --fail-on-miss > /dev/null 2>&1; then
    pass=$((pass + 1)); echo "ok   stream_disorder_within_bound"
else
    fail=$((fail + 1)); echo "FAIL stream_disorder_within_bound"
fi
"$FW" stream -q --input s.csv --alerts /dev/null --disorder 5 --late dis_late.jsonl --stats dis_bad.json
late=$(/usr/bin/python3 -c "import json; j = json.load(open('dis_bad.json')); print(j['late'], j['rows_read'] == j['accepted'] + j['quarantined'] + j['duplicates'] + j['late'])")
if [ "${late% *}" -gt 0 ] && [ "${late#* }" = True ] && [ "$(wc -l < dis_late.jsonl)" = "${late% *}" ]; then
    pass=$((pass + 1)); echo "ok   stream_disorder_beyond_bound_counts_late (${late% *} late)"
else
    fail=$((fail + 1)); echo "FAIL stream_disorder_beyond_bound_counts_late ($late)"
fi
"$FW" generate --seed 2 --rate 100 --duration 2 --no-attacks --no-faults -o sp.csv 2>/dev/null
t0=$(date +%s.%N)
"$FW" stream -q --input sp.csv --alerts /dev/null --speed 120
t1=$(date +%s.%N)
if /usr/bin/python3 -c "import sys; sys.exit(0 if 0.8 <= $t1 - $t0 <= 5 else 1)"; then
    pass=$((pass + 1)); echo "ok   stream_speed_paces_replay"
else
    fail=$((fail + 1)); echo "FAIL stream_speed_paces_replay ($t0 .. $t1)"
fi

# 14. Decoding on several threads gives exactly what one thread gives: the
#     summary, every stored table and the alerts, on the seed file and on a
#     file with blank lines, a stray quote, and a quoted field with escaped
#     quotes whose newline is the first one at a range's cut (1 MiB ranges,
#     src/input/parallel.h), so that the range before it does not end cleanly
#     and the sequential fallback must take over; and on a file with a
#     record over 1 MiB in its last range.
"$FW" generate --seed 3 --duration 45 --rate 500 --no-attacks --attack syn_flood:10-14:40 -o pt.csv 2>/dev/null
/usr/bin/python3 - <<'PY'
lines = open("pt.csv").read().split("\n")
out, size = [lines[0]], len(lines[0]) + 1
# Range k's cut: the first newline at or after the data's start + k MiB - 1.
cut = size + 5 * (1 << 20) - 1
multi = False
for i, r in enumerate(l for l in lines[1:] if l):
    if i == 100 and '"' not in r:
        r = r.replace(",", ',cor"rupted', 1)
    elif not multi and cut - size < 600:
        p = r.split(",")
        head = ",".join(p[:22]) + ',"agent'
        p[22] = '"agent' + "a" * (cut - size - len(head)) + '\nwith a newline, and ""quotes"""'
        r, multi = ",".join(p), True
        assert len(head) < cut - size and r[cut - size] == "\n"
    out.append(r)
    size += len(r) + 1
    if i % 50000 == 7:
        out.append("")
        size += 1
open("pt_nasty.csv", "w").write("\n".join(out) + "\n")
# A clean file but for a record over 1 MiB in its last range, rows after it.
clean = [l for l in lines if l]
clean.insert(len(clean) - 50, "x," + "y" * (1 << 20) + ",z")
open("pt_long.csv", "w").write("\n".join(clean) + "\n")
PY
same_threads() {
    local f=$1 t ok=1
    for t in 1 2 4; do
        rm -f "th$t.db"
        "$FW" batch -q --db "th$t.db" --threads $t --summary "th$t.json" "$f" 2> /dev/null || ok=0
        sed -i '/"db":/d' "th$t.json"
        "$FW" stream -q --input "$f" --threads $t --alerts "th$t.jsonl" || ok=0
    done
    for t in 2 4; do
        cmp -s th1.json "th$t.json" && cmp -s th1.jsonl "th$t.jsonl" && same_tables th1.db "th$t.db" &&
            [ "$(sqlite3 th1.db 'SELECT line, reasons, raw FROM quarantine ORDER BY line' | md5sum)" = \
              "$(sqlite3 "th$t.db" 'SELECT line, reasons, raw FROM quarantine ORDER BY line' | md5sum)" ] || ok=0
    done
    [ $ok = 1 ]
}
for f in seed.csv pt_nasty.csv pt_long.csv; do
    if same_threads "$f"; then
        pass=$((pass + 1)); echo "ok   threads_identical_$f"
    else
        fail=$((fail + 1)); echo "FAIL threads_identical_$f"
    fi
done

# 14b. A replay on two threads (cleaning on one; minutes' sinks, detection and
#      incidents on the other) writes what one thread writes: alerts, late
#      events and every stored table, with arrival disorder and a store
#      commit every 5 s of event time, and with checkpoints every 7 s.
"$FW" generate --seed 8 --duration 120 --rate 100 --attack port_scan:55-60 \
    --attack slowloris:110-115 -o sp.csv 2>/dev/null
split_run() {
    local t=$1 tag=$2
    shift 2
    rm -rf "sp$tag$t.db" "sp$tag$t.ck"
    "$FW" stream -q --input sp.csv --threads "$t" --db "sp$tag$t.db" --alerts "sp$tag$t.jsonl" \
        --late "sp$tag$t.late" "$@"
}
ok=1
for t in 1 2; do
    split_run $t a --disorder 1.5 --checkpoint-every 5 || ok=0
    split_run $t b --checkpoint "spb$t.ck" --checkpoint-every 7 || ok=0
done
for tag in a b; do
    cmp -s "sp${tag}1.jsonl" "sp${tag}2.jsonl" && cmp -s "sp${tag}1.late" "sp${tag}2.late" &&
        same_tables "sp${tag}1.db" "sp${tag}2.db" || ok=0
done
# Not vacuous: incidents of several types, and late events with disorder.
[ "$(grep -o '"type":"[a-z_]*"' spb1.jsonl | sort -u | wc -l)" -ge 3 ] && [ -s spa1.late ] || ok=0
if [ $ok = 1 ]; then
    pass=$((pass + 1)); echo "ok   stream_split_identical"
else
    fail=$((fail + 1)); echo "FAIL stream_split_identical"
fi

# 15. Batch spills records past its memory budget to a temporary file; when
#     it cannot make one, it fails with a message naming the path and writes
#     no database.
rm -f nospill.db
if TMPDIR=/nonexistent/spill "$FW" batch -q --no-detect --db nospill.db seed.csv 2> nospill.err; then
    fail=$((fail + 1)); echo "FAIL batch_spill_error (exit 0)"
elif grep -q "/nonexistent/spill/floodwatch-spill-.*: cannot create the spill file" nospill.err &&
     [ ! -s nospill.db ]; then
    pass=$((pass + 1)); echo "ok   batch_spill_error"
else
    fail=$((fail + 1)); echo "FAIL batch_spill_error"; cat nospill.err
fi

# 16. Two-stage aggregation: minutes of over 64k rows (an attack minute at
#     50 times the normal rate, and a port scan over more destination ports
#     than a minute tracks) are cut into slices aggregated on every thread and
#     merged; the summary, the tables and the quarantine equal those of one
#     thread and of two threads without it.  A bad --two-stage value is refused.
"$FW" generate --seed 5 --duration 4 --rate 2000 --attack syn_flood:1-2:50 \
    --attack port_scan:2-3:40 -o busy.csv 2> /dev/null
ok=1
for run in "1 off" "2 off" "2 on" "3 on"; do
    set -- $run
    rm -f "busy$1$2.db"
    "$FW" batch -q --no-progress --db "busy$1$2.db" --threads "$1" --two-stage "$2" \
        --summary "busy$1$2.json" busy.csv 2> /dev/null || ok=0
    sed -i '/"db":/d' "busy$1$2.json"
done
for run in 2off 2on 3on; do
    cmp -s busy1off.json "busy$run.json" && same_tables busy1off.db "busy$run.db" &&
        [ "$(sqlite3 busy1off.db 'SELECT * FROM agg_minute_src ORDER BY minute, src' | md5sum)" = \
          "$(sqlite3 "busy$run.db" 'SELECT * FROM agg_minute_src ORDER BY minute, src' | md5sum)" ] || ok=0
done
big=$(sqlite3 busy1off.db "SELECT max(events) FROM agg_minute")
inexact=$(sqlite3 busy1off.db "SELECT count(*) FROM agg_minute_port WHERE exact = 0")
"$FW" batch -q --no-db --two-stage maybe busy.csv 2> badts.err
st=$?
if [ $ok = 1 ] && [ "$big" -gt 65536 ] && [ "$inexact" -gt 0 ] && [ $st = 2 ] &&
   grep -q -- "--two-stage 'maybe': expected on or off" badts.err; then
    pass=$((pass + 1)); echo "ok   two_stage_identical"
else
    fail=$((fail + 1)); echo "FAIL two_stage_identical (ok=$ok big=$big inexact=$inexact status=$st)"
fi

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
