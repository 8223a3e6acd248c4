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

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
