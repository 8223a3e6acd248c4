// The floodwatch batch analysis in DuckDB SQL, driven from node.
//
//   node bench/duckdb_batch.mjs FILE [--summary OUT.json] [--verbose]
//
// Reads FILE (the seed CSV format) with read_csv(all_varchar), applies the
// cleaning rules of docs/cleaning.md as SQL masks (regexp / try_cast),
// deduplicates, and computes what `floodwatch batch` does: counts per
// quarantine reason and repair, empty fields, events per attack type, the
// top 10 sources, events per minute (SYN-only, bytes, labelled attacks,
// distinct sources) and the per-minute per-destination and per-source
// aggregates.  Every result is materialised into JS (fetched rows).
// Prints one JSON line of counts on stdout; --summary writes everything;
// --verbose prints the time of each step on stderr.
//
// DuckDB uses its default thread count (all cores).  Approximations, which
// do not matter on generated data: duplicates are rows whose 23 decoded
// fields are equal (not the raw text), records the CSV reader rejects count
// as csv_malformed / field_count only, and IPv6 text is not canonicalised.

import { DuckDBInstance } from '@duckdb/node-api';
import { writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
let file = null;
let summaryOut = null;
let verbose = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--summary') summaryOut = args[++i];
  else if (args[i] === '--verbose') verbose = true;
  else if (!file) file = args[i];
  else throw new Error(`unexpected argument ${args[i]}`);
}
if (!file) {
  console.error('usage: node duckdb_batch.mjs FILE [--summary OUT.json]');
  process.exit(2);
}

const COLUMNS = [
  'timestamp', 'source_ip', 'dest_ip', 'source_port', 'dest_port', 'protocol',
  'packet_size', 'ttl', 'flags', 'response_time_ms', 'country', 'service',
  'bytes_sent', 'bytes_received', 'packets_sent', 'packets_received',
  'session_id', 'is_attack', 'attack_type', 'http_method', 'uri_path',
  'status_code', 'user_agent',
];
const REASONS = [
  'csv_malformed', 'field_count', 'timestamp_missing', 'timestamp_invalid',
  'src_ip_missing', 'src_ip_invalid', 'src_ip_unusable',
  'dst_ip_missing', 'dst_ip_invalid', 'dst_ip_unusable',
  'protocol_unknown', 'port_invalid', 'counter_invalid', 'packet_size_invalid',
];
const REPAIRS = [
  'packet_size_from_bytes', 'response_time_cleared', 'ttl_cleared',
  'tcp_flags_cleared', 'country_cleared', 'http_status_cleared', 'label_cleared',
];

const q = (s) => `'${s.replace(/'/g, "''")}'`;

// RE2 patterns (full match)
const TS = String.raw`([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?(Z|[+-][0-9]{2}:?[0-9]{2})?`;
const OCT = String.raw`(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])`;
const IPV4 = String.raw`${OCT}\.${OCT}\.${OCT}\.${OCT}`;
const H = '[0-9A-Fa-f]{1,4}';
const IPV6 = [
  `(?:${H}:){7}${H}`,
  `(?:${H}:){1,7}:`,
  `(?:${H}:){1,6}:${H}`,
  `(?:${H}:){1,5}(?::${H}){1,2}`,
  `(?:${H}:){1,4}(?::${H}){1,3}`,
  `(?:${H}:){1,3}(?::${H}){1,4}`,
  `(?:${H}:){1,2}(?::${H}){1,5}`,
  `${H}:(?::${H}){1,6}`,
  `:(?:(?::${H}){1,7}|:)`,
  `(?:${H}:){6}${IPV4}`,
  `(?:${H}:){0,5}:${IPV4}`,
  `::(?:${H}:){0,5}${IPV4}`,
  `(?:${H}:){1,4}:(?:${H}:){0,3}${IPV4}`,
].map((p) => `(?:${p})`).join('|');
const NUMBER = String.raw`[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?`;
const FLAG = '(?:SYN|ACK|FIN|RST|PSH|URG)';
const FLAG_NAMES = String.raw`(?i)[ \t]*${FLAG}(?:(?:[ \t]*[,|][ \t]*|[ \t]+)${FLAG})*[ \t]*`;
const NFDUMP = String.raw`[U.][A.][P.][R.][S.][F.]`;
const SYN_ONLY_NAMES = String.raw`(?i)[ \t]*SYN(?:(?:[ \t]*[,|][ \t]*|[ \t]+)SYN)*[ \t]*`;

const m = (col, re) => `regexp_full_match(${col}, ${q(re)})`;
// integer text -> BIGINT (NULL if not an integer or too large)
const intOf = (col, pointZero = false, sign = false) =>
  `CASE WHEN ${m(col, `${sign ? '[+-]?' : ''}[0-9]+${pointZero ? String.raw`(?:\.0+)?` : ''}`)}
        THEN try_cast(${pointZero ? `regexp_replace(${col}, '\\.0+$', '')` : col} AS BIGINT) END`;

const colsDecl = `{${COLUMNS.map((c) => `${q(c)}: 'VARCHAR'`).join(', ')}}`;

const SQL_LOAD = `
CREATE TEMP TABLE raw AS
SELECT ${COLUMNS.map((c) => `coalesce("${c}", '') AS "${c}"`).join(', ')}
FROM read_csv(${q(file)}, header = true, auto_detect = false, columns = ${colsDecl},
              delim = ',', quote = '"', escape = '"', store_rejects = true);
`;

// every row with its masks and derived values
const SQL_FLOWS = `
CREATE TEMP TABLE flows AS
WITH t AS (
  SELECT *,
    trim(timestamp, ' \t') AS ts_t,
    upper(protocol) AS proto_up,
    ${intOf('protocol')} AS proto_num,
    ${intOf('source_port', true)} AS sport,
    ${intOf('dest_port', true)} AS dport,
    ${intOf('bytes_sent')} AS b,
    ${intOf('packets_sent')} AS k,
    ${intOf('packet_size', false, true)} AS ps,
    ${m('source_ip', IPV4)} AS s4,
    ${m('dest_ip', IPV4)} AS d4
  FROM raw
), p AS (
  SELECT *,
    ${m('ts_t', TS)} AS ts_form,
    CASE WHEN proto_num IS NOT NULL THEN CAST(proto_num AS VARCHAR) ELSE proto_up END AS proto_key,
    CASE WHEN s4 THEN true WHEN source_ip LIKE '%:%' THEN ${m('source_ip', IPV6)} ELSE false END AS s_ok,
    CASE WHEN d4 THEN true WHEN dest_ip LIKE '%:%' THEN ${m('dest_ip', IPV6)} ELSE false END AS d_ok,
    CASE WHEN s4 THEN try_cast(split_part(source_ip, '.', 1) AS INTEGER) END AS s_o1,
    CASE WHEN d4 THEN try_cast(split_part(dest_ip, '.', 1) AS INTEGER) END AS d_o1,
    (ps IS NOT NULL AND ps BETWEEN 20 AND 65535) AS ps_valid,
    (b IS NOT NULL AND k IS NOT NULL AND k > 0 AND b % k = 0 AND b // k BETWEEN 20 AND 65535) AS repairable
  FROM t
), g AS (
  SELECT *,
    CASE WHEN ts_form THEN regexp_extract(ts_t, ${q(`^${TS}$`)}, ['y', 'mo', 'd', 'h', 'mi', 's', 'f', 'z']) END AS tp
  FROM p
), z AS (
  SELECT *,
    try_strptime(tp.y || '-' || tp.mo || '-' || tp.d || ' ' || tp.h || ':' || tp.mi || ':'
                 || CASE WHEN tp.s = '' THEN '00' ELSE tp.s END, '%Y-%m-%d %H:%M:%S') AS local_ts,
    replace(tp.z, ':', '') AS zone
  FROM g
)
SELECT ${COLUMNS.map((c) => `"${c}"`).join(', ')},
  -- quarantine reasons
  timestamp = '' AS timestamp_missing,
  timestamp <> '' AND NOT (ts_form AND local_ts IS NOT NULL AND year(local_ts) >= 1000
      AND (zone IN ('', 'Z') OR (try_cast(zone[2:3] AS INTEGER) < 24 AND try_cast(zone[4:5] AS INTEGER) < 60)))
    AS timestamp_invalid,
  source_ip = '' AS src_ip_missing,
  source_ip <> '' AND NOT s_ok AS src_ip_invalid,
  s_ok AND (CASE WHEN s4 THEN s_o1 = 0 OR s_o1 BETWEEN 224 AND 239 OR source_ip = '255.255.255.255'
                 ELSE regexp_full_match(source_ip, '[0:]+') OR regexp_full_match(lower(source_ip), 'ff[0-9a-f]{2}:.*') END)
    AS src_ip_unusable,
  dest_ip = '' AS dst_ip_missing,
  dest_ip <> '' AND NOT d_ok AS dst_ip_invalid,
  d_ok AND (CASE WHEN d4 THEN d_o1 = 0 ELSE regexp_full_match(dest_ip, '[0:]+') END) AS dst_ip_unusable,
  NOT (proto_up IN ('TCP', 'UDP', 'ICMP', 'ICMPV6', 'GRE', 'ESP', 'SCTP') OR coalesce(proto_num <= 255, false))
    AS protocol_unknown,
  (source_port <> '' AND NOT coalesce(sport <= 65535, false))
    OR (dest_port <> '' AND NOT coalesce(dport <= 65535, false))
    OR (dest_port = '' AND proto_key IN ('TCP', 'UDP', 'SCTP', '6', '17', '132')) AS port_invalid,
  (bytes_sent <> '' AND b IS NULL) OR (packets_sent <> '' AND k IS NULL)
    OR (bytes_received <> '' AND NOT ${m('bytes_received', '[0-9]+')})
    OR (packets_received <> '' AND NOT ${m('packets_received', '[0-9]+')}) AS counter_invalid,
  NOT ps_valid AND NOT repairable AS packet_size_invalid,
  -- repairs
  NOT ps_valid AND repairable AS packet_size_from_bytes,
  response_time_ms <> '' AND NOT coalesce(${m('response_time_ms', NUMBER)}
      AND try_cast(response_time_ms AS DOUBLE) BETWEEN 0 AND 600000, false) AS response_time_cleared,
  ttl <> '' AND NOT coalesce(${intOf('ttl')} <= 255, false) AS ttl_cleared,
  flags <> '' AND NOT (${m('flags', FLAG_NAMES)} OR ${m('flags', NFDUMP)}) AS tcp_flags_cleared,
  country <> '' AND NOT ${m('country', '[A-Za-z]{2}')} AS country_cleared,
  status_code <> '' AND NOT coalesce(${intOf('status_code', true)} BETWEEN 100 AND 599, false)
    AS http_status_cleared,
  is_attack <> '' AND lower(is_attack) NOT IN ('true', 'false', '1', '0', 'yes', 'no') AS label_cleared,
  -- derived values
  epoch(local_ts)::BIGINT
    - CASE WHEN zone IN ('', 'Z') OR zone IS NULL THEN 0
           ELSE (CASE WHEN zone[1] = '-' THEN -1 ELSE 1 END)
                * (try_cast(zone[2:3] AS INTEGER) * 3600 + try_cast(zone[4:5] AS INTEGER) * 60) END AS secs,
  coalesce(b, 0) AS bytes,
  coalesce(k, 0) AS packets,
  proto_key IN ('TCP', '6') AS tcp,
  proto_key IN ('UDP', '17') AS udp,
  -- the flag set is exactly {SYN}: every name is SYN, or the nfdump form with only S
  proto_key IN ('TCP', '6') AND (${m('flags', SYN_ONLY_NAMES)} OR flags = '....S.') AS syn_only,
  lower(is_attack) IN ('true', '1', 'yes') AS label_true,
  CASE WHEN attack_type = '' THEN 'normal' ELSE attack_type END AS label
FROM z;
`;

const anyReason = REASONS.filter((r) => !['csv_malformed', 'field_count'].includes(r))
  .map((r) => r).join(' OR ');

// accepted = distinct non-quarantined rows (an exact duplicate is the same 23 fields)
const SQL_ACCEPTED = `
CREATE TEMP TABLE accepted AS
SELECT DISTINCT ON (${COLUMNS.map((c) => `"${c}"`).join(', ')})
  source_ip, dest_ip, secs, secs // 60 AS minute, bytes, packets, tcp, udp, syn_only, label_true, label,
  ${REPAIRS.join(', ')}
FROM flows WHERE NOT (${anyReason});
`;

const SQL_COUNTS = `
SELECT
  count(*) AS rows_ok,
  count(*) FILTER (WHERE ${anyReason}) AS quarantined,
  ${REASONS.slice(2).map((r) => `count(*) FILTER (WHERE ${r}) AS ${r}`).join(',\n  ')},
  ${COLUMNS.map((c) => `count(*) FILTER (WHERE "${c}" = '') AS "empty_${c}"`).join(',\n  ')}
FROM flows;
`;
const SQL_REPAIRS = `
SELECT count(*) AS accepted,
  ${REPAIRS.map((r) => `count(*) FILTER (WHERE ${r}) AS ${r}`).join(',\n  ')},
  min(secs) AS first_secs, max(secs) AS last_secs
FROM accepted;
`;
const SQL_REJECTS = `
SELECT CAST(error_type AS VARCHAR) AS error_type, count(DISTINCT line) AS n
FROM reject_errors GROUP BY ALL;
`;
const SQL_BY_LABEL = `SELECT label, count(*) AS events FROM accepted GROUP BY label ORDER BY events DESC;`;
// numeric order: IPv4 as its 32-bit value first, then anything else by text
const SQL_TOP = `
SELECT source_ip AS ip, count(*) AS events, sum(bytes) AS bytes, sum(packets) AS packets
FROM accepted GROUP BY source_ip
ORDER BY events DESC,
  CASE WHEN ${m('source_ip', IPV4)} THEN 0 ELSE 1 END,
  CASE WHEN ${m('source_ip', IPV4)} THEN
    try_cast(split_part(source_ip, '.', 1) AS BIGINT) * 16777216 + try_cast(split_part(source_ip, '.', 2) AS BIGINT) * 65536
    + try_cast(split_part(source_ip, '.', 3) AS BIGINT) * 256 + try_cast(split_part(source_ip, '.', 4) AS BIGINT) END,
  source_ip
LIMIT 10;
`;
const SQL_MINUTES = `
SELECT strftime(make_timestamp(minute * 60 * 1000000), '%Y-%m-%dT%H:%M:00Z') AS minute,
  count(*) AS events, count(*) FILTER (WHERE syn_only) AS syn_only_tcp, sum(bytes) AS bytes,
  count(*) FILTER (WHERE label_true) AS labelled_attack, count(DISTINCT source_ip) AS distinct_sources
FROM accepted GROUP BY ALL ORDER BY minute;
`;
const SQL_PER_DST = `
SELECT minute, dest_ip AS dst, count(*) AS events, sum(bytes) AS bytes, sum(packets) AS packets,
  count(*) FILTER (WHERE syn_only) AS syn_only, count(*) FILTER (WHERE tcp) AS tcp,
  count(*) FILTER (WHERE udp) AS udp, count(*) FILTER (WHERE label_true) AS labelled_attack,
  count(DISTINCT source_ip) AS distinct_src
FROM accepted GROUP BY ALL ORDER BY minute, dst;
`;
const SQL_PER_SRC = `
SELECT minute, source_ip AS src, count(*) AS events, sum(bytes) AS bytes, sum(packets) AS packets,
  count(*) FILTER (WHERE syn_only) AS syn_only, count(*) FILTER (WHERE label_true) AS labelled_attack
FROM accepted GROUP BY ALL ORDER BY minute, src;
`;

const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
const t0 = performance.now();
let tStep = t0;
const step = (name) => {
  const now = performance.now();
  if (verbose) console.error(`${name.padEnd(10)} ${((now - tStep) / 1000).toFixed(3)} s`);
  tStep = now;
};
const rows = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJS();
await con.run(SQL_LOAD); step('read_csv');
await con.run(SQL_FLOWS); step('masks');
await con.run(SQL_ACCEPTED); step('dedup');
const [counts] = await rows(SQL_COUNTS);
const [rep] = await rows(SQL_REPAIRS);
const rejects = await rows(SQL_REJECTS); step('counts');
const byLabel = await rows(SQL_BY_LABEL);
const top = await rows(SQL_TOP);
const minutes = await rows(SQL_MINUTES); step('summary');
const perDst = await rows(SQL_PER_DST);
const perSrc = await rows(SQL_PER_SRC); step('per-minute');
const elapsed = (performance.now() - t0) / 1000;

const num = (v) => (typeof v === 'bigint' ? Number(v) : v);
const reasons = Object.fromEntries(REASONS.map((r) => [r, num(counts[r] ?? 0)]));
let rejected = 0;
for (const { error_type: type, n } of rejects) {
  const reason = /COLUMNS/.test(type) ? 'field_count' : 'csv_malformed';
  reasons[reason] += num(n);
  rejected += num(n);
}
const rowsOk = num(counts.rows_ok);
const quarantined = num(counts.quarantined) + rejected;
const accepted = num(rep.accepted);
const summary = {
  input: file,
  rows_read: rowsOk + rejected,
  accepted,
  duplicates: rowsOk - num(counts.quarantined) - accepted,
  quarantined,
  quarantined_by_reason: reasons,
  repaired: Object.fromEntries(REPAIRS.map((r) => [r, num(rep[r])])),
  empty_fields: Object.fromEntries(COLUMNS.map((c) => [c, num(counts[`empty_${c}`])])),
  events_by_attack_type: Object.fromEntries(byLabel.map((r) => [r.label, num(r.events)])),
  top_sources: top.map((r) => ({ ip: r.ip, events: num(r.events), bytes: num(r.bytes), packets: num(r.packets) })),
  events_per_minute: minutes.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, num(v)]))),
  per_minute_dst_rows: perDst.length,
  per_minute_src_rows: perSrc.length,
};
const line = {
  rows_read: summary.rows_read, accepted, duplicates: summary.duplicates, quarantined,
  minutes: minutes.length, per_minute_dst_rows: perDst.length, per_minute_src_rows: perSrc.length,
  seconds: Number(elapsed.toFixed(3)),
};
if (summaryOut) {
  summary.per_minute_dst = perDst.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, num(v)])));
  summary.per_minute_src = perSrc.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, num(v)])));
  writeFileSync(summaryOut, JSON.stringify(summary, null, 1));
}
console.log(JSON.stringify(line));
con.closeSync();
instance.closeSync();
