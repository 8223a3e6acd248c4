#!/usr/bin/env bash
# query.sh - `floodwatch query` checked against the sqlite3 CLI.
#
# A generated file (seed 3, one hour, a SYN flood and a UDP flood) goes
# through batch and stream into one database; each `floodwatch query ...
# --format csv` must then print what the same question, written here as SQL
# independently of src/report/query.c, prints through `sqlite3 -csv
# -header`.  Numbers with a decimal point may differ by rounding in the last
# digit (SQLite's printf and C's round a tie differently); nothing else may
# differ.  Then bad input: exit status 1 or 2 and a message naming the culprit.
# FW names the binary.  Prints "query: N passed, M failed"; exit 1 on failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
FW=${FW:-$here/../../build/floodwatch}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }

"$FW" generate --seed 3 --duration 60 --rate 500 --no-attacks \
    --attack syn_flood:10-20 --attack udp_flood:35-45 -o g.csv 2>/dev/null &&
    "$FW" batch -q --db g.db g.csv 2>/dev/null &&
    "$FW" stream -q --input g.csv --db g.db --alerts /dev/null 2>/dev/null
if [ $? != 0 ] || [ "$(sqlite3 g.db 'SELECT count(*) FROM incidents')" -lt 2 ]; then
    ko "setup (generate, batch, stream)"
    echo "query: $pass passed, $fail failed"
    exit 1
fi

# Field-by-field comparison of two CSV files without quoted commas (none
# of these answers has one); decimals may differ by one in the last place.
csv_equal() {
    awk -F, '
        NR == FNR { want[FNR] = $0; nwant = FNR; next }
        {
            ngot = FNR
            if (!(FNR in want)) { print "extra line " FNR ": " $0; bad = 1; next }
            n = split(want[FNR], w, ",")
            if (n != NF) { print "line " FNR ": want " want[FNR] " got " $0; bad = 1; next }
            for (i = 1; i <= NF; i++) {
                if ($i == w[i]) continue
                if ($i ~ /^-?[0-9]+\.[0-9]+$/ && w[i] ~ /^-?[0-9]+\.[0-9]+$/) {
                    split($i, d, "."); tol = 1.01 / 10 ^ length(d[2])
                    diff = $i - w[i]; if (diff < 0) diff = -diff
                    if (diff <= tol) continue
                }
                print "line " FNR " field " i ": want " want[FNR] " got " $0; bad = 1; break
            }
        }
        END {
            if (ngot < nwant) { print "missing lines " ngot + 1 " to " nwant; bad = 1 }
            exit bad
        }' "$1" "$2"
}

# same NAME SQL ARGS...: `query --db g.db --format csv ARGS` equals SQL's answer,
# and the answer is not just a header.
same() {
    local name=$1 sql=$2
    shift 2
    if ! "$FW" query --db g.db --format csv "$@" > "$name.raw" 2> "$name.err"; then
        ko "$name: exit $? ($(head -1 "$name.err"))"; return
    fi
    tr -d '\r' < "$name.raw" > "$name.got"
    if ! sqlite3 -csv -header g.db "$sql" 2>&1 | tr -d '\r' > "$name.want"; then
        ko "$name: the reference SQL failed: $(head -2 "$name.want")"; return
    fi
    if [ "$(wc -l < "$name.want")" -lt 2 ]; then
        ko "$name: the reference answer is empty"; return
    fi
    if csv_equal "$name.want" "$name.got" > "$name.diff"; then
        ok "$name ($(($(wc -l < "$name.got") - 1)) rows)"
    else
        ko "$name"; head -5 "$name.diff"
    fi
}

# The runs each question reads by default (docs/query.md).
RUN_SRC="(SELECT max(run_id) FROM agg_minute_src)"
RUN_DST="(SELECT max(run_id) FROM agg_minute_dst)"
RUN_PORT="(SELECT max(run_id) FROM agg_minute_port)"
RUN_CTRY="(SELECT max(run_id) FROM agg_minute_country)"
RUN_MIN="(SELECT max(run_id) FROM agg_minute)"
RUN_INC="(SELECT max(run_id) FROM incidents)"
PROTO="CASE proto WHEN 1 THEN 'ICMP' WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP' WHEN 58 THEN 'ICMPv6'
       WHEN 47 THEN 'GRE' WHEN 50 THEN 'ESP' WHEN 132 THEN 'SCTP' ELSE proto END"

# top_sql TABLE KEYEXPR KEYNAME ORDER BY RUN WHERE LIMIT PACKETS(0/1)
top_sql() {
    local table=$1 key=$2 name=$3 order=$4 by=$5 run=$6 where=$7 limit=$8 packets=$9
    local pk="" pc=""
    if [ "$packets" = 1 ]; then pk=", sum(packets) AS packets"; pc="packets,"; fi
    echo "WITH t AS (SELECT $key AS k, $order AS o, sum(events) AS events, sum(bytes) AS bytes $pk
                     FROM $table WHERE run_id = $run $where GROUP BY $order)
          SELECT row_number() OVER (ORDER BY $by DESC, o) AS rank, k AS $name, events, bytes, $pc
                 printf('%.2f', 100.0 * $by / (SELECT sum($by) FROM t)) AS share_pct
          FROM t ORDER BY $by DESC, o LIMIT $limit"
}

# 1. top
same top_sources "$(top_sql agg_minute_src src src src events "$RUN_SRC" "" 10 1)" top sources
same top_sources_bytes_5 "$(top_sql agg_minute_src src src src bytes "$RUN_SRC" "" 5 1)" \
    top sources --by bytes --limit 5
same top_sources_packets_range \
    "$(top_sql agg_minute_src src src src packets "$RUN_SRC" \
       "AND minute >= '2026-01-01T00:10:00Z' AND minute < '2026-01-01T00:20:00Z'" 10 1)" \
    top sources --by packets --from 2026-01-01T00:10:00Z --to 2026-01-01T00:20:00Z
# A bound inside a minute: the minutes that start in [from, to).
same top_sources_midminute \
    "$(top_sql agg_minute_src src src src events "$RUN_SRC" \
       "AND julianday(minute) >= julianday('2026-01-01T00:10:30Z')
        AND julianday(minute) < julianday('2026-01-01T00:12:00.5Z')" 10 1)" \
    top sources --from 2026-01-01T00:10:30Z --to 2026-01-01T00:12:00.5Z
same top_destinations_bytes "$(top_sql agg_minute_dst dst dst dst bytes "$RUN_DST" "" 10 1)" \
    top destinations --by bytes
same top_ports "$(top_sql agg_minute_port "$PROTO || '/' || dst_port" port "proto, dst_port" \
    events "$RUN_PORT" "" 10 1)" top ports
same top_ports_packets_run1 "$(top_sql agg_minute_port "$PROTO || '/' || dst_port" port \
    "proto, dst_port" packets 1 "" 7 1)" top ports --by packets --run 1 --limit 7
same top_countries "$(top_sql agg_minute_country \
    "CASE country WHEN '' THEN 'unknown' ELSE country END" country country events "$RUN_CTRY" \
    "" 10 0)" top countries
same top_countries_bytes_all "$(top_sql agg_minute_country \
    "CASE country WHEN '' THEN 'unknown' ELSE country END" country country bytes "$RUN_CTRY" \
    "" -1 0)" top countries --by bytes --limit 0

# 2. incidents: an open one lasts to the run's last event.
inc_sql() {
    echo "SELECT id, type, entity, start, coalesce(\"end\", 'open') AS \"end\",
                 CAST(round((julianday(coalesce(\"end\", (SELECT last_event FROM runs WHERE run_id = i.run_id)))
                             - julianday(start)) * 86400) AS INTEGER) AS duration_s,
                 severity, printf('%.1f', peak_pps) AS peak_pps, unique_sources,
                 json_array_length(victims) AS victims, events
          FROM incidents i WHERE run_id = $RUN_INC $1 ORDER BY julianday(start), id"
}
same incidents "$(inc_sql "")" incidents
same incidents_syn "$(inc_sql "AND type = 'syn_flood'")" incidents --type syn_flood
same incidents_from "$(inc_sql "AND julianday(start) >= julianday('2026-01-01T00:30:00Z')")" \
    incidents --from 2026-01-01T00:30

# 3. timeline: epoch-aligned buckets; distinct sources are a max; incidents
#    active at any time in the bucket.
tl_sql() {
    local step=$1 where=$2
    echo "WITH m AS (SELECT (CAST(strftime('%s', minute) AS INTEGER) / $step) * $step AS b, *
                     FROM agg_minute WHERE run_id = $RUN_MIN $where),
               inc AS (SELECT julianday(start) AS s, coalesce(julianday(\"end\"), 1e9) AS e
                       FROM incidents WHERE run_id = $RUN_MIN)
          SELECT strftime('%Y-%m-%dT%H:%M:%SZ', b, 'unixepoch') AS bucket, count(*) AS minutes,
                 sum(events) AS events, sum(bytes) AS bytes, sum(packets) AS packets,
                 sum(syn_only) AS syn_only, max(distinct_src) AS distinct_src_max,
                 sum(quarantined) AS quarantined, sum(duplicates) AS duplicates,
                 (SELECT count(*) FROM inc WHERE s < julianday(b + $step, 'unixepoch')
                                              AND e > julianday(b, 'unixepoch')) AS incidents
          FROM m GROUP BY b ORDER BY b"
}
same timeline_1m "$(tl_sql 60 "")" timeline
same timeline_5m "$(tl_sql 300 "")" timeline --step 5m
same timeline_1h "$(tl_sql 3600 "")" timeline --step 1h
same timeline_range_600s "$(tl_sql 600 "AND minute >= '2026-01-01T00:10:00Z' AND minute < '2026-01-01T00:40:00Z'")" \
    timeline --step 600s --from 2026-01-01T00:10 --to 2026-01-01T00:40

# 4. summary, in its long CSV form (section,key,metric,value).
summary_sql() {
    local from=$1 to=$2 limit=$3 # from/to: ISO times or '' for the run's span
    local run="(SELECT coalesce(max(run_id), (SELECT max(run_id) FROM runs)) FROM incidents)"
    echo "
WITH r AS (SELECT $run AS id),
span AS (
  SELECT min(strftime('%Y-%m-%dT%H:%M:00Z', first_event), (SELECT min(minute) FROM agg_minute, r WHERE run_id = r.id)) AS lo,
         max(strftime('%Y-%m-%dT%H:%M:00Z', last_event, '+1 minute'),
             (SELECT strftime('%Y-%m-%dT%H:%M:%SZ', max(minute), '+1 minute') FROM agg_minute, r WHERE run_id = r.id)) AS hi,
         last_event AS now
  FROM runs, r WHERE run_id = r.id),
rng AS (SELECT coalesce(nullif('$from', ''), lo) AS f, coalesce(nullif('$to', ''), hi) AS t FROM span),
-- the KPI window: the range within the span
win AS (SELECT max(julianday(f), julianday(lo)) AS lo, min(julianday(t), julianday(hi)) AS hi FROM rng, span),
inc AS (SELECT i.*, CAST(round((julianday(coalesce(i.\"end\", (SELECT now FROM span))) - julianday(i.start)) * 86400) AS INTEGER) AS dur
        FROM incidents i, r, rng WHERE i.run_id = r.id
          AND julianday(i.start) >= julianday(rng.f) AND julianday(i.start) < julianday(rng.t)),
mins AS (SELECT a.* FROM agg_minute a, r, rng WHERE a.run_id = r.id
          AND julianday(a.minute) >= julianday(rng.f) AND julianday(a.minute) < julianday(rng.t)),
hours(h) AS (SELECT julianday(strftime('%Y-%m-%dT%H:00:00Z', lo)) FROM win
             UNION ALL SELECT h + 1.0 / 24 FROM hours, win WHERE h + 1.0 / 24 < win.hi - 1e-9),
per_hour AS (SELECT h, (SELECT count(*) FROM inc, win WHERE julianday(start) >= h AND julianday(start) < h + 1.0 / 24
                        AND julianday(start) >= win.lo AND julianday(start) < win.hi) AS n,
                    row_number() OVER (ORDER BY h) - 1 AS x FROM hours),
bytype AS (SELECT type, count(*) AS n, sum(dur) AS d, sum(events) AS e FROM inc GROUP BY type),
att AS (SELECT s.src, count(*) AS n, sum(s.events) AS e FROM incident_sources s JOIN inc ON inc.run_id = s.run_id AND inc.id = s.id
        GROUP BY s.src ORDER BY n DESC, e DESC, s.src LIMIT $limit),
vic AS (SELECT v.dst, count(*) AS n FROM incident_victims v JOIN inc ON inc.run_id = v.run_id AND inc.id = v.id
        GROUP BY v.dst ORDER BY n DESC, v.dst LIMIT $limit),
ctry AS (SELECT country, sum(labelled_attack) AS n FROM agg_minute_country c, r, rng WHERE c.run_id = r.id
           AND julianday(minute) >= julianday(rng.f) AND julianday(minute) < julianday(rng.t) GROUP BY country),
ctop AS (SELECT country, n, 100.0 * n / (SELECT sum(n) FROM ctry) AS share FROM ctry WHERE n > 0
         ORDER BY n DESC, country LIMIT $limit),
lines(s, k, o1, o2, metric, value) AS (
  SELECT 'accounting', NULL, 0, 1, 'rows_read', rows_read FROM runs, r WHERE run_id = r.id
  UNION ALL SELECT 'accounting', NULL, 0, 2, 'accepted', accepted FROM runs, r WHERE run_id = r.id
  UNION ALL SELECT 'accounting', NULL, 0, 3, 'quarantined', quarantined FROM runs, r WHERE run_id = r.id
  UNION ALL SELECT 'accounting', NULL, 0, 4, 'duplicates', duplicates FROM runs, r WHERE run_id = r.id
  UNION ALL SELECT 'accounting', NULL, 0, 5, 'late', late FROM runs, r WHERE run_id = r.id
  UNION ALL SELECT 'traffic', NULL, 0, 1, 'minutes', count(*) FROM mins
  UNION ALL SELECT 'traffic', NULL, 0, 2, 'events', coalesce(sum(events), 0) FROM mins
  UNION ALL SELECT 'traffic', NULL, 0, 3, 'bytes', coalesce(sum(bytes), 0) FROM mins
  UNION ALL SELECT 'traffic', NULL, 0, 4, 'packets', coalesce(sum(packets), 0) FROM mins
  UNION ALL SELECT 'traffic', NULL, 0, 5, 'labelled_attack', coalesce(sum(labelled_attack), 0) FROM mins
  UNION ALL SELECT 'traffic', NULL, 0, 6, 'quarantined', coalesce(sum(quarantined), 0) FROM mins
  UNION ALL SELECT 'traffic', NULL, 0, 7, 'duplicates', coalesce(sum(duplicates), 0) FROM mins
  UNION ALL SELECT 'incidents_by_type', type, row_number() OVER (ORDER BY n DESC, type), 1, 'incidents', n FROM bytype
  UNION ALL SELECT 'incidents_by_type', type, row_number() OVER (ORDER BY n DESC, type), 2, 'duration_s', d FROM bytype
  UNION ALL SELECT 'incidents_by_type', type, row_number() OVER (ORDER BY n DESC, type), 3, 'events', e FROM bytype
  UNION ALL SELECT 'top_attackers', src, row_number() OVER (ORDER BY n DESC, e DESC, src), 1, 'incidents', n FROM att
  UNION ALL SELECT 'top_attackers', src, row_number() OVER (ORDER BY n DESC, e DESC, src), 2, 'events', e FROM att
  UNION ALL SELECT 'top_victims', dst, row_number() OVER (ORDER BY n DESC, dst), 1, 'incidents', n FROM vic
  UNION ALL SELECT 'attack_countries', CASE country WHEN '' THEN 'unknown' ELSE country END,
                   row_number() OVER (ORDER BY n DESC, country), 1, 'attack_events', n FROM ctop
  UNION ALL SELECT 'attack_countries', CASE country WHEN '' THEN 'unknown' ELSE country END,
                   row_number() OVER (ORDER BY n DESC, country), 2, 'share_pct', printf('%.2f', share) FROM ctop
  UNION ALL SELECT 'attacks_per_hour', strftime('%Y-%m-%dT%H:%M:%SZ', h), x, 1, 'incidents', n FROM per_hour
  UNION ALL SELECT 'kpi', NULL, 0, 1, 'incidents', count(*) FROM inc
  UNION ALL SELECT 'kpi', NULL, 0, 2, 'open', count(*) - count(\"end\") FROM inc
  UNION ALL SELECT 'kpi', NULL, 0, 3, 'incidents_per_hour',
                   printf('%.2f', (SELECT count(*) FROM inc WHERE julianday(start) >= win.lo AND julianday(start) < win.hi)
                                  / ((win.hi - win.lo) * 24)) FROM win
  UNION ALL SELECT 'kpi', NULL, 0, 4, 'first_hour', (SELECT n FROM per_hour ORDER BY x LIMIT 1)
  UNION ALL SELECT 'kpi', NULL, 0, 5, 'last_hour', (SELECT n FROM per_hour ORDER BY x DESC LIMIT 1)
  UNION ALL SELECT 'kpi', NULL, 0, 6, 'trend_per_hour',
                   CASE WHEN count(*) >= 2 THEN printf('%.3f', (count(*) * sum(x * n) - sum(x) * sum(n)) * 1.0
                                                              / (count(*) * sum(x * x) - sum(x) * sum(x))) END FROM per_hour
  UNION ALL SELECT 'kpi', NULL, 0, 7, 'avg_duration_s', printf('%.1f', avg(dur)) FROM inc
  UNION ALL SELECT 'kpi', NULL, 0, 8, 'avg_events', printf('%.1f', avg(events)) FROM inc)
SELECT s AS section, k AS key, metric, value FROM lines
ORDER BY CASE s WHEN 'accounting' THEN 1 WHEN 'traffic' THEN 2 WHEN 'incidents_by_type' THEN 3
                WHEN 'top_attackers' THEN 4 WHEN 'top_victims' THEN 5 WHEN 'attack_countries' THEN 6
                WHEN 'attacks_per_hour' THEN 7 ELSE 8 END, o1, o2"
}
same summary "$(summary_sql "" "" 5)" summary
same summary_range_limit3 "$(summary_sql 2026-01-01T00:30:00Z 2026-01-01T01:00:00Z 3)" \
    summary --from 2026-01-01T00:30 --to 2026-01-01T01:00 --limit 3

# 5. Formats: CSV lines end in CRLF (RFC 4180); JSON parses and has the
#    run, the range and as many rows as the CSV.
if [ "$(grep -c $'\r$' top_sources.raw)" = "$(wc -l < top_sources.raw)" ]; then
    ok "csv_crlf"
else
    ko "csv_crlf"
fi
"$FW" query --db g.db --format json top sources > j.json 2>/dev/null
if /usr/bin/python3 -c '
import json, sys
j = json.load(open("j.json"))
assert j["run"]["id"] == int(sys.argv[1]) and j["run"]["mode"] == "batch", j["run"]
assert j["range"] == {"from": "2026-01-01T00:00:00Z", "to": "2026-01-01T01:00:00Z"}, j["range"]
assert len(j["rows"]) == int(sys.argv[2]) and j["rows"][0]["rank"] == 1
' "$(sqlite3 g.db "SELECT $RUN_SRC")" "$(($(wc -l < top_sources.got) - 1))"; then
    ok "json_top_sources"
else
    ko "json_top_sources"
fi
"$FW" query --db g.db top sources > t.txt 2>/dev/null
if head -1 t.txt | grep -qx "# run $(sqlite3 g.db "SELECT $RUN_SRC") (batch, g.csv), 2026-01-01T00:00:00Z .. 2026-01-01T01:00:00Z"; then
    ok "table_header"
else
    ko "table_header: $(head -1 t.txt)"
fi

# 6. Bad input: exit status and a message naming what was wrong.
# bad NAME STATUS PATTERN ARGS...
bad() {
    local name=$1 want=$2 pattern=$3
    shift 3
    "$FW" query "$@" > /dev/null 2> "$name.err"
    local rc=$?
    if [ "$rc" != "$want" ]; then
        ko "$name: exit $rc, want $want"
    elif ! grep -q -- "$pattern" "$name.err"; then
        ko "$name: message lacks '$pattern': $(head -1 "$name.err")"
    else
        ok "$name"
    fi
}
printf 'not a database at all, just some text\n' > text.db
sqlite3 other.db 'CREATE TABLE t(x)'
bad bad_missing_db 1 "no-such.db" --db no-such.db summary
bad bad_text_db 1 "text.db: not a floodwatch database" --db text.db summary
bad bad_foreign_db 1 "other.db: not a floodwatch database" --db other.db summary
bad bad_directory_db 1 "not a regular file" --db . summary
bad bad_no_run 1 "no run 99" --db g.db --run 99 summary
bad bad_what 2 "unknown WHAT 'hosts'" --db g.db hosts
bad bad_no_what 2 "expected WHAT" --db g.db
bad bad_top_what 2 "top 'talkers'" --db g.db top talkers
bad bad_from 2 "\-\-from '2026-02-30'" --db g.db --from 2026-02-30 summary
bad bad_to 2 "\-\-to 'noon'" --db g.db --to noon summary
bad bad_range 2 "before --to" --db g.db --from 2026-01-02 --to 2026-01-01 summary
bad bad_by 2 "\-\-by 'flows'" --db g.db top sources --by flows
bad bad_by_countries 2 "\-\-by packets" --db g.db top countries --by packets
bad bad_by_not_top 2 "\-\-by applies" --db g.db incidents --by bytes
bad bad_step 2 "\-\-step '90s'" --db g.db timeline --step 90s
bad bad_format 2 "\-\-format 'xml'" --db g.db --format xml summary
bad bad_limit 2 "\-\-limit '-3'" --db g.db --limit -3 top ports

echo "query: $pass passed, $fail failed"
[ "$fail" = 0 ]
