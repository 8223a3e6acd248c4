#!/usr/bin/env bash
# The batch analysis of bench/duckdb_batch.mjs in the sqlite3 command-line
# shell (Debian's sqlite3, which has the REGEXP operator built in): load the
# CSV with .import, the cleaning rules as SQL, deduplication, the counts, and
# the summary and per-minute tables materialised in temporary tables.  Prints
# one JSON line: rows_read, accepted, duplicates, quarantined and the sizes
# of the per-minute results.
#
# Usage: bench/sqlite_batch.sh FILE
#
# Shortcuts, as in the DuckDB script (none exercised by generated data):
# duplicates are rows whose 23 fields are equal; the shell's .import cannot
# report rows with a wrong field count (it pads or drops fields), so
# field_count and csv_malformed stay 0; IPv6 text is not canonicalised;
# numbers past 18 digits count as invalid.
set -euo pipefail
file=${1:?usage: bench/sqlite_batch.sh FILE}
[ -r "$file" ] || { echo "sqlite_batch: $file: cannot read" >&2; exit 2; }
case $file in *\'*) echo "sqlite_batch: a quote in the file name is not supported" >&2; exit 2 ;; esac

OCT='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])'
IPV4="^$OCT\\.$OCT\\.$OCT\\.$OCT\$"
H='[0-9A-Fa-f]{1,4}'
IP4='[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}'
IPV6="^(($H:){7}$H|($H:){1,7}:|($H:){1,6}:$H|($H:){1,5}(:$H){1,2}|($H:){1,4}(:$H){1,3}|($H:){1,3}(:$H){1,4}|($H:){1,2}(:$H){1,5}|$H:(:$H){1,6}|:((:$H){1,7}|:)|($H:){6}$IP4|($H:){0,5}:$IP4|::($H:){0,5}$IP4|($H:){1,4}:($H:){0,3}$IP4)\$"
TS='^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(:([0-9]{2})(\.([0-9]+))?)?(Z|[-+][0-9]{2}:?[0-9]{2})?$'
NUMBER='^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$'
FLAG='(SYN|ACK|FIN|RST|PSH|URG)'
FLAG_NAMES="^[ \\t]*$FLAG(([ \\t]*[,|][ \\t]*|[ \\t]+)$FLAG)*[ \\t]*\$"
SYN_ONLY="^[ \\t]*SYN(([ \\t]*[,|][ \\t]*|[ \\t]+)SYN)*[ \\t]*\$"

COLS="timestamp, source_ip, dest_ip, source_port, dest_port, protocol, packet_size, ttl, flags,
  response_time_ms, country, service, bytes_sent, bytes_received, packets_sent, packets_received,
  session_id, is_attack, attack_type, http_method, uri_path, status_code, user_agent"
# An integer column: digits only (optionally a sign, or a .0 tail), at most 18.
int_of() { # column, allow '.0', allow sign
  local re='^'
  [ "${3:-}" = sign ] && re+='[-+]?'
  re+='[0-9]{1,18}'
  [ "${2:-}" = point ] && re+='(\.0+)?'
  echo "CASE WHEN $1 REGEXP '$re\$' THEN CAST($1 AS INTEGER) END"
}

sqlite3 -bail :memory: <<SQL
.mode csv
CREATE TEMP TABLE raw($(echo "$COLS" | sed 's/\([a-z_]*\)\(,\|$\)/\1 TEXT\2/g'));
.import --skip 1 '$file' raw
.mode list
.output /dev/null
CREATE TEMP TABLE flows AS
WITH r AS (
  SELECT $(echo "$COLS" | sed "s/\([a-z_][a-z_]*\)/coalesce(\1, '') AS \1/g") FROM raw
), t AS MATERIALIZED (
  SELECT *,
    trim(timestamp, ' ' || char(9)) AS ts_t,
    upper(protocol) AS proto_up,
    $(int_of protocol) AS proto_num,
    $(int_of source_port point) AS sport,
    $(int_of dest_port point) AS dport,
    $(int_of bytes_sent) AS b,
    $(int_of packets_sent) AS k,
    $(int_of packet_size no sign) AS ps,
    source_ip REGEXP '$IPV4' AS s4,
    dest_ip REGEXP '$IPV4' AS d4
  FROM r
), p AS MATERIALIZED (
  SELECT *,
    ts_t REGEXP '$TS' AS ts_form,
    CASE WHEN proto_num IS NOT NULL THEN CAST(proto_num AS TEXT) ELSE proto_up END AS proto_key,
    CASE WHEN s4 THEN 1 WHEN source_ip LIKE '%:%' THEN source_ip REGEXP '$IPV6' ELSE 0 END AS s_ok,
    CASE WHEN d4 THEN 1 WHEN dest_ip LIKE '%:%' THEN dest_ip REGEXP '$IPV6' ELSE 0 END AS d_ok,
    CASE WHEN s4 THEN CAST(source_ip AS INTEGER) END AS s_o1,
    CASE WHEN d4 THEN CAST(dest_ip AS INTEGER) END AS d_o1,
    (ps IS NOT NULL AND ps BETWEEN 20 AND 65535) AS ps_valid,
    (b IS NOT NULL AND k IS NOT NULL AND k > 0 AND b % k = 0 AND b / k BETWEEN 20 AND 65535) AS repairable
  FROM t
), g AS MATERIALIZED (
  SELECT *,
    CASE WHEN ts_form THEN substr(ts_t, 1, 4) || '-' || substr(ts_t, 6, 2) || '-' || substr(ts_t, 9, 2)
      || ' ' || substr(ts_t, 12, 2) || ':' || substr(ts_t, 15, 2) || ':'
      || CASE WHEN substr(ts_t, 17, 1) = ':' THEN substr(ts_t, 18, 2) ELSE '00' END END AS local,
    CASE WHEN NOT ts_form THEN NULL
         WHEN ts_t LIKE '%Z' THEN 'Z'
         WHEN ts_t REGEXP '[-+][0-9]{2}:[0-9]{2}\$' THEN replace(substr(ts_t, -6), ':', '')
         WHEN ts_t REGEXP '[-+][0-9]{4}\$' THEN substr(ts_t, -5)
         ELSE '' END AS zone
  FROM p
), z AS MATERIALIZED (
  SELECT *,
    local IS NOT NULL
      AND CAST(substr(local, 1, 4) AS INTEGER) >= 1000
      AND CAST(substr(local, 6, 2) AS INTEGER) BETWEEN 1 AND 12
      AND CAST(substr(local, 9, 2) AS INTEGER) BETWEEN 1
          AND CAST(strftime('%d', substr(local, 1, 8) || '01', '+1 month', '-1 day') AS INTEGER)
      AND CAST(substr(local, 12, 2) AS INTEGER) <= 23
      AND CAST(substr(local, 15, 2) AS INTEGER) <= 59
      AND CAST(substr(local, 18, 2) AS INTEGER) <= 59
      AND (zone IN ('', 'Z') OR (CAST(substr(zone, 2, 2) AS INTEGER) < 24
                                 AND CAST(substr(zone, 4, 2) AS INTEGER) < 60)) AS ts_ok
  FROM g
)
SELECT $COLS,
  timestamp = '' AS timestamp_missing,
  timestamp <> '' AND NOT coalesce(ts_ok, 0) AS timestamp_invalid,
  source_ip = '' AS src_ip_missing,
  source_ip <> '' AND NOT s_ok AS src_ip_invalid,
  s_ok AND (CASE WHEN s4 THEN s_o1 = 0 OR s_o1 BETWEEN 224 AND 239 OR source_ip = '255.255.255.255'
                 ELSE source_ip REGEXP '^[0:]+\$' OR lower(source_ip) REGEXP '^ff[0-9a-f]{2}:' END)
    AS src_ip_unusable,
  dest_ip = '' AS dst_ip_missing,
  dest_ip <> '' AND NOT d_ok AS dst_ip_invalid,
  d_ok AND (CASE WHEN d4 THEN d_o1 = 0 ELSE dest_ip REGEXP '^[0:]+\$' END) AS dst_ip_unusable,
  NOT (proto_up IN ('TCP', 'UDP', 'ICMP', 'ICMPV6', 'GRE', 'ESP', 'SCTP') OR coalesce(proto_num <= 255, 0))
    AS protocol_unknown,
  (source_port <> '' AND NOT coalesce(sport <= 65535, 0))
    OR (dest_port <> '' AND NOT coalesce(dport <= 65535, 0))
    OR (dest_port = '' AND proto_key IN ('TCP', 'UDP', 'SCTP', '6', '17', '132')) AS port_invalid,
  (bytes_sent <> '' AND b IS NULL) OR (packets_sent <> '' AND k IS NULL)
    OR (bytes_received <> '' AND NOT bytes_received REGEXP '^[0-9]+\$')
    OR (packets_received <> '' AND NOT packets_received REGEXP '^[0-9]+\$') AS counter_invalid,
  NOT ps_valid AND NOT repairable AS packet_size_invalid,
  NOT ps_valid AND repairable AS packet_size_from_bytes,
  response_time_ms <> '' AND NOT coalesce(response_time_ms REGEXP '$NUMBER'
      AND CAST(response_time_ms AS REAL) BETWEEN 0 AND 600000, 0) AS response_time_cleared,
  ttl <> '' AND NOT coalesce($(int_of ttl) <= 255, 0) AS ttl_cleared,
  flags <> '' AND NOT (upper(flags) REGEXP '$FLAG_NAMES' OR flags REGEXP '^[U.][A.][P.][R.][S.][F.]\$')
    AS tcp_flags_cleared,
  country <> '' AND NOT country REGEXP '^[A-Za-z]{2}\$' AS country_cleared,
  status_code <> '' AND NOT coalesce($(int_of status_code point) BETWEEN 100 AND 599, 0)
    AS http_status_cleared,
  is_attack <> '' AND lower(is_attack) NOT IN ('true', 'false', '1', '0', 'yes', 'no') AS label_cleared,
  unixepoch(local) - CASE WHEN zone IN ('', 'Z') OR zone IS NULL THEN 0
      ELSE (CASE WHEN substr(zone, 1, 1) = '-' THEN -1 ELSE 1 END)
           * (CAST(substr(zone, 2, 2) AS INTEGER) * 3600 + CAST(substr(zone, 4, 2) AS INTEGER) * 60) END
    AS secs,
  coalesce(b, 0) AS bytes,
  coalesce(k, 0) AS packets,
  proto_key IN ('TCP', '6') AS tcp,
  proto_key IN ('UDP', '17') AS udp,
  proto_key IN ('TCP', '6') AND (upper(flags) REGEXP '$SYN_ONLY' OR flags = '....S.') AS syn_only,
  lower(is_attack) IN ('true', '1', 'yes') AS label_true,
  CASE WHEN attack_type = '' THEN 'normal' ELSE attack_type END AS label
FROM z;

CREATE TEMP TABLE accepted AS
SELECT source_ip, dest_ip, secs, secs / 60 AS minute, bytes, packets, tcp, udp, syn_only, label_true,
  label, packet_size_from_bytes, response_time_cleared, ttl_cleared, tcp_flags_cleared,
  country_cleared, http_status_cleared, label_cleared
FROM flows
WHERE NOT (timestamp_missing OR timestamp_invalid OR src_ip_missing OR src_ip_invalid
           OR src_ip_unusable OR dst_ip_missing OR dst_ip_invalid OR dst_ip_unusable
           OR protocol_unknown OR port_invalid OR counter_invalid OR packet_size_invalid)
GROUP BY $COLS;

CREATE TEMP TABLE counts AS
SELECT count(*) AS rows_ok,
  count(*) FILTER (WHERE timestamp_missing OR timestamp_invalid OR src_ip_missing OR src_ip_invalid
           OR src_ip_unusable OR dst_ip_missing OR dst_ip_invalid OR dst_ip_unusable
           OR protocol_unknown OR port_invalid OR counter_invalid OR packet_size_invalid) AS quarantined,
  $(for r in timestamp_missing timestamp_invalid src_ip_missing src_ip_invalid src_ip_unusable \
            dst_ip_missing dst_ip_invalid dst_ip_unusable protocol_unknown port_invalid \
            counter_invalid packet_size_invalid; do printf 'count(*) FILTER (WHERE %s) AS %s, ' $r $r; done)
  $(for c in $(echo "$COLS" | tr -d ','); do printf "count(*) FILTER (WHERE %s = '') AS empty_%s, " $c $c; done)
  0 AS end_
FROM flows;
CREATE TEMP TABLE repairs AS
SELECT count(*) AS accepted,
  $(for r in packet_size_from_bytes response_time_cleared ttl_cleared tcp_flags_cleared \
            country_cleared http_status_cleared label_cleared; do printf 'count(*) FILTER (WHERE %s) AS %s, ' $r $r; done)
  min(secs) AS first_secs, max(secs) AS last_secs
FROM accepted;
CREATE TEMP TABLE by_label AS
SELECT label, count(*) AS events FROM accepted GROUP BY label ORDER BY events DESC;
CREATE TEMP TABLE top AS
SELECT source_ip AS ip, count(*) AS events, sum(bytes) AS bytes, sum(packets) AS packets
FROM accepted GROUP BY source_ip
ORDER BY events DESC, CASE WHEN source_ip REGEXP '$IPV4' THEN 0 ELSE 1 END,
  CASE WHEN source_ip REGEXP '$IPV4' THEN
    CAST(source_ip AS INTEGER) * 16777216
    + CAST(substr(source_ip, instr(source_ip, '.') + 1) AS INTEGER) * 65536
    + CAST(substr(substr(source_ip, instr(source_ip, '.') + 1),
                  instr(substr(source_ip, instr(source_ip, '.') + 1), '.') + 1) AS INTEGER) * 256
    + CAST(replace(source_ip, rtrim(source_ip, '0123456789'), '') AS INTEGER) END,
  source_ip
LIMIT 10;
CREATE TEMP TABLE minutes AS
SELECT strftime('%Y-%m-%dT%H:%M:00Z', minute * 60, 'unixepoch') AS minute, count(*) AS events,
  count(*) FILTER (WHERE syn_only) AS syn_only_tcp, sum(bytes) AS bytes,
  count(*) FILTER (WHERE label_true) AS labelled_attack, count(DISTINCT source_ip) AS distinct_sources
FROM accepted GROUP BY 1 ORDER BY 1;
CREATE TEMP TABLE per_dst AS
SELECT minute, dest_ip AS dst, count(*) AS events, sum(bytes) AS bytes, sum(packets) AS packets,
  count(*) FILTER (WHERE syn_only) AS syn_only, count(*) FILTER (WHERE tcp) AS tcp,
  count(*) FILTER (WHERE udp) AS udp, count(*) FILTER (WHERE label_true) AS labelled_attack,
  count(DISTINCT source_ip) AS distinct_src
FROM accepted GROUP BY minute, dest_ip ORDER BY minute, dst;
CREATE TEMP TABLE per_src AS
SELECT minute, source_ip AS src, count(*) AS events, sum(bytes) AS bytes, sum(packets) AS packets,
  count(*) FILTER (WHERE syn_only) AS syn_only, count(*) FILTER (WHERE label_true) AS labelled_attack
FROM accepted GROUP BY minute, source_ip ORDER BY minute, src;
.output stdout
SELECT json_object('rows_read', c.rows_ok, 'accepted', r.accepted,
                   'duplicates', c.rows_ok - c.quarantined - r.accepted, 'quarantined', c.quarantined,
                   'minutes', (SELECT count(*) FROM minutes),
                   'per_minute_dst_rows', (SELECT count(*) FROM per_dst),
                   'per_minute_src_rows', (SELECT count(*) FROM per_src))
FROM counts c, repairs r;
SQL
