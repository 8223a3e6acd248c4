#!/usr/bin/env python3
"""Cross-check `floodwatch batch` against an independent pandas implementation.

The cleaning rules are implemented here from docs/cleaning.md alone (not from
the C sources), so a disagreement points at either the C code or the doc.

Usage (what `make xcheck` runs):

    FW=/abs/path/build/floodwatch /usr/bin/python3 tests/xcheck/pandas_summary.py

Three cases: two files written by `$FW generate` (seed7, seed11_udp) and
a hand-made file with one row per rule of docs/cleaning.md (edge: boundaries
and forms the generator never writes, including the documented leniencies:
lowercase t/z, `.0` on integers, empty packets_sent / bytes_sent, nfdump
letter tokens and repeated flag separators, IPv4-mapped IPv6, a record over
1 MiB, blank lines).  For each it runs `$FW batch --no-db` and compares every
number of the JSON summary (rows read / accepted / duplicates / quarantined,
blank lines, each quarantine reason, each repair, empty fields per column,
events per attack type, the top 10 sources, events per minute, first and last
event) with `pandas_summary(path)`; then runs `$FW batch --db` and compares the
stored per-minute per-destination and per-source aggregates.  On a difference
it lists them, and the rows that the two quarantine for different reasons
(line, reasons, raw text).  Exit status 0 only if every case agrees.

`--edge` is still accepted (the edge file used to be optional); it changes
nothing.

`pandas_summary(path) -> dict`, `load(path)` (summary and the frame of
accepted rows) and `minute_aggregates(frame)` are importable
(bench/pandas_batch.py times them).

Choices where docs/cleaning.md is silent: a blank line is an empty line
(nothing but its line end; a line of spaces is a record); "integer" means
ASCII digits (with a sign for the packet size), optionally followed by a
zero fraction (`.0`, `.00`, ...), and a protocol number is an integer field
too; a `.fraction` beyond microseconds is truncated; TCP / UDP / SCTP may
also be given as protocol numbers 6 / 17 / 132; top-source ties are ordered
IPv4 (32-bit value) before IPv6 (128-bit value); "over 1 MiB" is the
record's UTF-8 length without its line end; flag names may have blanks
around the whole value but no leading or trailing `,` / `|`; nfdump letters
are upper case, in any order, one token (`.` alone is a token with no flag
set).
"""

import csv
import io
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

COLUMNS = [
    "timestamp", "source_ip", "dest_ip", "source_port", "dest_port", "protocol",
    "packet_size", "ttl", "flags", "response_time_ms", "country", "service",
    "bytes_sent", "bytes_received", "packets_sent", "packets_received",
    "session_id", "is_attack", "attack_type", "http_method", "uri_path",
    "status_code", "user_agent",
]

REASONS = [
    "csv_malformed", "field_count", "timestamp_missing", "timestamp_invalid",
    "src_ip_missing", "src_ip_invalid", "src_ip_unusable",
    "dst_ip_missing", "dst_ip_invalid", "dst_ip_unusable",
    "protocol_unknown", "port_invalid", "counter_invalid", "packet_size_invalid",
]

REPAIRS = [
    "packet_size_from_bytes", "response_time_cleared", "ttl_cleared",
    "tcp_flags_cleared", "country_cleared", "http_status_cleared", "label_cleared",
]

MAX_RECORD = 1 << 20  # "a record over 1 MiB"

# --------------------------------------------------------------------------
# CSV records: raw text, malformed flag, field count
# --------------------------------------------------------------------------

# One field of a well-formed record: a quoted field ("" escapes a quote) that
# ends at a comma or the end, or an unquoted field (which may contain quotes
# anywhere but at its start: those are literal).
_Q = r'"(?:[^"]|"")*"'
_U = r'(?:[^",][^,]*)?'
_FIELD = r"(?:%s|%s)" % (_Q, _U)
_RECORD_RE = re.compile(r"%s(?:,%s)*" % (_FIELD, _FIELD), re.S)
# Quoted fields at field starts (used to count the commas that separate fields).
_QUOTED_AT_START = r'(?:^|(?<=,))"(?:[^"]|"")*"'


def _records_slow(text):
    """Split text into records with a quote-aware state machine (handles
    quoted line breaks and unterminated quotes).
    Returns (raws, malformed, first line number of each record)."""
    raws, malformed, line_nos = [], [], []
    i, n = 0, len(text)
    line = 1
    while i < n:
        start = i
        bad = False
        at_field_start = True
        while i < n:
            c = text[i]
            if at_field_start and c == '"':
                # quoted field
                j = i + 1
                while True:
                    k = text.find('"', j)
                    if k < 0:           # unterminated: runs to end of input
                        bad = True
                        i = n
                        break
                    if k + 1 < n and text[k + 1] == '"':
                        j = k + 2
                        continue
                    i = k + 1
                    break
                if i >= n:
                    break
                if text[i] not in ",\n\r":
                    bad = True  # text after a closing quote: skip to the next comma or line end
                    while i < n and text[i] not in ",\n":
                        i += 1
                at_field_start = False
                continue
            if c == ",":
                at_field_start = True
                i += 1
                continue
            if c == "\n":
                break
            at_field_start = False
            i += 1
        raw = text[start:i]
        if raw.endswith("\r"):
            raw = raw[:-1]
        raws.append(raw)
        malformed.append(bad)
        line_nos.append(line)
        line += text.count("\n", start, i) + 1
        i += 1  # past the '\n'
    return raws, malformed, line_nos


_QUOTED_AT_START_RE = re.compile(_QUOTED_AT_START, re.S)


def _split_records(text):
    """Split the input into the header and data records.

    Returns (header raw text, records Series of raw text (line end removed),
    malformed mask, over-1-MiB mask, field counts, line numbers, number of
    blank lines).  Blank lines are not records: they are skipped and counted
    (the doc)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    hasq = np.array(['"' in ln for ln in lines], dtype=bool) if '"' in text else None
    odd_quotes = hasq is not None and any(
        lines[i].count('"') % 2 for i in np.flatnonzero(hasq))
    if odd_quotes:
        # a record spans lines or a quote is unterminated: the slow, exact path
        lines, bad, line_nos = _records_slow(text)
        malformed = np.array(bad, dtype=bool)
        line_nos = np.array(line_nos, dtype=np.int64)
        hasq = np.array(['"' in ln for ln in lines], dtype=bool)
    else:
        if "\r" in text:
            lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
        line_nos = np.arange(1, len(lines) + 1, dtype=np.int64)
        malformed = np.zeros(len(lines), dtype=bool)
        if hasq is not None:
            for i in np.flatnonzero(hasq):
                malformed[i] = _RECORD_RE.fullmatch(lines[i]) is None
    if "\0" in text:
        malformed |= np.array(["\0" in ln for ln in lines], dtype=bool)
    # a record over 1 MiB: csv_malformed alone, its fields are never split
    overlong = np.zeros(len(lines), dtype=bool)
    if len(text) > MAX_RECORD // 4:  # a char is at most 4 bytes in UTF-8
        for i, ln in enumerate(lines):
            if len(ln) > MAX_RECORD // 4 and len(ln.encode("utf-8", "surrogateescape")) > MAX_RECORD:
                overlong[i] = True
    malformed |= overlong
    nfields = np.array([ln.count(",") + 1 for ln in lines], dtype=np.int64)
    if hasq is not None:
        for i in np.flatnonzero(hasq & ~malformed):
            nfields[i] = _QUOTED_AT_START_RE.sub("", lines[i]).count(",") + 1
    keep = np.array([ln != "" for ln in lines], dtype=bool)
    blank = int((~keep).sum())
    if blank:
        lines = [ln for ln, k in zip(lines, keep) if k]
        malformed, overlong = malformed[keep], overlong[keep]
        nfields, line_nos = nfields[keep], line_nos[keep]
    if not lines:
        raise RuntimeError("empty input: no header")
    return (lines[0], pd.Series(lines[1:], dtype=object), malformed[1:], overlong[1:],
            nfields[1:], line_nos[1:], blank)


def _decode_lenient(raws, width, overlong):
    """Fields of records that are not well-formed or have the wrong field
    count, as a CSV reader would give them, cut or padded with empty fields
    to `width` (the doc: every field of every record is checked).  A record
    over 1 MiB is not split (its fields are left empty here, and ignored)."""
    rows, counts = [], []
    for raw, big in zip(raws, overlong):
        if big:
            counts.append(width)
            rows.append([""] * width)
            continue
        try:
            fields = next(csv.reader([raw.replace("\0", "")], strict=False), [])
        except csv.Error:
            fields = raw.split(",")
        counts.append(len(fields))
        rows.append((fields + [""] * width)[:width])
    return rows, counts


# --------------------------------------------------------------------------
# field checks (vectorised, on string Series)
# --------------------------------------------------------------------------

_TS_RE = (r"^(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})[Tt ](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})"
          r"(?::(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]+))?)?"
          r"(?P<z>[Zz]|[+-][0-9]{2}:?[0-9]{2})?\Z")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_IPV4_RE = r"^%s\.%s\.%s\.%s\Z" % ((_OCTET,) * 4)
_PROTOCOLS = {"TCP", "UDP", "ICMP", "ICMPV6", "GRE", "ESP", "SCTP"}
_PORT_PROTOCOLS = {"TCP", "UDP", "SCTP", "6", "17", "132"}
_NUMBER_RE = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z"
_FLAG_NAME = r"(?:SYN|ACK|FIN|RST|PSH|URG)"
# names in any case, separated by runs of `,` `|` and blanks
_FLAG_NAMES_RE = r"^[ \t]*%s(?:[ \t,|]+%s)*[ \t]*\Z" % (_FLAG_NAME, _FLAG_NAME)
# one token of nfdump letters, `.` for unset: `.AP.SF`, `S`, `SA`
_NFDUMP_RE = r"^[FSRPAU.]+\Z"


def _per_unique(col, fn):
    """Apply a vectorised check `fn` (Series -> array or tuple of arrays) to
    the distinct values of `col` only, and spread the results to every row.
    Most columns have few distinct values, so this is where pandas is fast."""
    codes, uniq = pd.factorize(col, sort=False)
    res = fn(pd.Series(uniq, dtype=object))
    if isinstance(res, tuple):
        return tuple(np.asarray(r)[codes] for r in res)
    return np.asarray(res)[codes]


def _int_like(s, allow_point_zero=True, allow_sign=False):
    """(is integer mask, int64 values with 0 where not; clamped if huge).
    The doc: every integer field may carry a zero fraction (`60.0`)."""
    pat = r"^%s[0-9]+%s\Z" % ("[+-]?" if allow_sign else "", r"(?:\.0+)?" if allow_point_zero else "")
    ok = s.str.match(pat).to_numpy(dtype=bool)
    vals = np.zeros(len(s), dtype=np.int64)
    if ok.any():
        txt = s[ok]
        if allow_point_zero:
            txt = txt.str.replace(r"\.0+$", "", regex=True)
        digits = txt.str.lstrip("+-").str.lstrip("0").str.len().to_numpy()
        longv = digits > 18
        v = np.zeros(len(txt), dtype=np.int64)
        if (~longv).any():
            v[~longv] = pd.to_numeric(txt[~longv]).to_numpy(dtype=np.int64)
        if longv.any():
            neg = txt[longv].str.startswith("-").to_numpy()
            v[longv] = np.where(neg, np.iinfo(np.int64).min, np.iinfo(np.int64).max)
        vals[ok] = v
    return ok, vals


def _days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date (vectorised)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


# the form the generator (and the seed) writes: parsed by pandas directly
_TS_COMMON_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\Z"


def _parse_timestamps_general(t):
    """(valid, epoch seconds, microseconds) of stripped timestamps, any form
    the doc allows."""
    n = len(t)
    parts = t.str.extract(_TS_RE)
    matched = parts["y"].notna().to_numpy()
    secs = np.zeros(n, dtype=np.int64)
    micros = np.zeros(n, dtype=np.int64)
    valid = matched.copy()
    if matched.any():
        p = parts[matched]
        y = p["y"].astype(np.int64).to_numpy()
        mo = p["mo"].astype(np.int64).to_numpy()
        d = p["d"].astype(np.int64).to_numpy()
        h = p["h"].astype(np.int64).to_numpy()
        mi = p["mi"].astype(np.int64).to_numpy()
        sec = p["s"].fillna("0").astype(np.int64).to_numpy()
        f = p["f"].fillna("").str.slice(0, 6).str.ljust(6, "0").astype(np.int64).to_numpy()
        zs = p["z"].fillna("Z").str.upper().str.replace(":", "", regex=False)
        leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
        mdays = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
        dim = mdays[np.clip(mo, 0, 12)] + ((mo == 2) & leap)
        ok = ((y >= 1000) & (mo >= 1) & (mo <= 12) & (d >= 1) & (d <= dim)
              & (h < 24) & (mi < 60) & (sec < 60))
        isz = (zs == "Z").to_numpy()
        zh = np.where(isz, 0, pd.to_numeric(zs.str.slice(1, 3), errors="coerce").fillna(0)).astype(np.int64)
        zm = np.where(isz, 0, pd.to_numeric(zs.str.slice(3, 5), errors="coerce").fillna(0)).astype(np.int64)
        sign = np.where(zs.str.startswith("-").to_numpy(), -1, 1)
        ok &= (zh < 24) & (zm < 60)
        off = sign * (zh * 60 + zm) * 60
        epoch = _days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off
        idx = np.flatnonzero(matched)
        valid[idx] = ok
        secs[idx] = epoch
        micros[idx] = f
    return valid, secs, micros


def _parse_timestamps(col):
    """Return (missing, invalid, epoch seconds int64, microseconds int64)."""
    n = len(col)
    missing = (col == "").to_numpy()
    valid = np.zeros(n, dtype=bool)
    secs = np.zeros(n, dtype=np.int64)
    micros = np.zeros(n, dtype=np.int64)
    # fast path: the common form, converted by pandas (NaT: out of range or
    # a day the month does not have, left to the general path)
    common = col.str.match(_TS_COMMON_RE).to_numpy(dtype=bool)
    if common.any():
        dt = pd.to_datetime(col[common], format="%Y-%m-%dT%H:%M:%S.%f", errors="coerce")
        ok = dt.notna().to_numpy()
        ns = dt.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        idx = np.flatnonzero(common)[ok]
        valid[idx] = True
        secs[idx] = np.floor_divide(ns[ok], 10**9)
        micros[idx] = np.floor_divide(np.mod(ns[ok], 10**9), 1000)
    rest = ~valid & ~missing
    if rest.any():
        v, sc, mc = _parse_timestamps_general(col[rest].str.strip(" \t"))
        idx = np.flatnonzero(rest)
        valid[idx] = v
        secs[idx] = sc
        micros[idx] = mc
    return missing, ~missing & ~valid, secs, micros


def _inet6(v):
    try:
        return socket.inet_pton(socket.AF_INET6, v)
    except (OSError, ValueError):
        return None


def _check_ip_unique(col, source):
    """On distinct values: (missing, invalid, unusable, canonical text,
    is IPv6)."""
    n = len(col)
    missing = (col == "").to_numpy()
    v4 = col.str.match(_IPV4_RE).to_numpy(dtype=bool)
    v6 = np.zeros(n, dtype=bool)
    unusable = np.zeros(n, dtype=bool)
    canon = col.to_numpy(dtype=object).copy()
    if v4.any():
        first = pd.to_numeric(col[v4].str.split(".", n=1).str[0]).to_numpy()
        u = first == 0  # 0.0.0.0/8
        if source:
            u |= (first >= 224) & (first <= 239)  # multicast 224.0.0.0/4
            u |= (col[v4] == "255.255.255.255").to_numpy()
        unusable[v4] = u
    mapped = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(~v4 & col.str.contains(":", regex=False).to_numpy(dtype=bool)):
        b = _inet6(col.iat[i])
        if b is None:
            continue
        if b[:12] == _V4_MAPPED:
            # the doc: an IPv4-mapped IPv6 address is the IPv4 address
            mapped[i] = True
            first = b[12]
            u = first == 0
            if source:
                u = u or 224 <= first <= 239 or b[12:] == b"\xff\xff\xff\xff"
            unusable[i] = u
            canon[i] = socket.inet_ntop(socket.AF_INET, b[12:])
            continue
        v6[i] = True
        unusable[i] = b == bytes(16) or (source and b[0] == 0xFF)  # ::, ff00::/8
        canon[i] = socket.inet_ntop(socket.AF_INET6, b)
    invalid = ~missing & ~v4 & ~v6 & ~mapped
    return missing, invalid, unusable, canon, v6


_V4_MAPPED = bytes(10) + b"\xff\xff"  # ::ffff:0:0/96


def _ip_sort_key(ip):
    """Numeric order: IPv4 by its 32-bit value, then IPv6 by its 128-bit value."""
    if ":" in ip:
        return (1, int.from_bytes(socket.inet_pton(socket.AF_INET6, ip), "big"))
    return (0, int.from_bytes(socket.inet_aton(ip), "big"))


def _flags_unique(fl):
    """On distinct values: (cleared, exactly {SYN})."""
    empty = (fl == "").to_numpy()
    names_ok = fl.str.match(_FLAG_NAMES_RE, flags=re.I).to_numpy(dtype=bool)
    nfd_ok = ~names_ok & fl.str.match(_NFDUMP_RE).to_numpy(dtype=bool)
    syn = np.zeros(len(fl), dtype=bool)
    if names_ok.any():
        toks = fl[names_ok].str.upper().str.findall(_FLAG_NAME)
        syn[names_ok] = toks.map(lambda t: set(t) == {"SYN"}).to_numpy(dtype=bool)
    if nfd_ok.any():
        syn[nfd_ok] = fl[nfd_ok].map(lambda t: set(t) - {"."} == {"S"}).to_numpy(dtype=bool)
    return ~empty & ~names_ok & ~nfd_ok, syn


def _protocol_unique(proto):
    """On distinct values: (known, TCP, UDP, needs a destination port)."""
    up = proto.str.upper()
    num_ok, num = _int_like(proto)
    known = up.isin(_PROTOCOLS).to_numpy() | (num_ok & (num <= 255))
    key = np.where(num_ok, num.astype(str), up.to_numpy(dtype=object))
    is_tcp = (key == "TCP") | (key == "6")
    is_udp = (key == "UDP") | (key == "17")
    needs_port = pd.Series(key).isin(_PORT_PROTOCOLS).to_numpy()
    return known, is_tcp, is_udp, needs_port


def _port_bad_unique(col):
    empty = (col == "").to_numpy()
    ok, v = _int_like(col)
    return ~empty & ~(ok & (v >= 0) & (v <= 65535))


def _counter_unique(col):
    """(invalid, is integer, value)."""
    empty = (col == "").to_numpy()
    ok, v = _int_like(col)
    return ~empty & ~ok, ok, v


def _packet_size_unique(col):
    """(valid, value)."""
    ok, v = _int_like(col, allow_sign=True)
    return ok & (v >= 20) & (v <= 65535), v


def _response_time_cleared_unique(rt):
    empty = (rt == "").to_numpy()
    num = rt.str.match(_NUMBER_RE).to_numpy(dtype=bool)
    val = np.full(len(rt), np.nan)
    if num.any():
        val[num] = pd.to_numeric(rt[num], errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return ~empty & ~(num & (val >= 0) & (val <= 600000))


def _ttl_cleared_unique(col):
    ok, v = _int_like(col)
    return (col != "").to_numpy() & ~(ok & (v <= 255))


def _country_cleared_unique(col):
    return ((col != "") & ~col.str.match(r"^[A-Za-z]{2}\Z")).to_numpy(dtype=bool)


def _status_cleared_unique(col):
    ok, v = _int_like(col)
    return (col != "").to_numpy() & ~(ok & (v >= 100) & (v <= 599))


def _label_unique(col):
    """(cleared, true)."""
    low = col.str.lower()
    cleared = ((low != "") & ~low.isin(["true", "false", "1", "0", "yes", "no"])).to_numpy()
    return cleared, low.isin(["true", "1", "yes"]).to_numpy()


# --------------------------------------------------------------------------
# the summary
# --------------------------------------------------------------------------

def _read(path):
    """(records Series, malformed, over 1 MiB, line numbers, header columns,
    frame of all records as strings with the header's columns, field counts,
    blank lines)."""
    with open(path, "rb") as fh:
        text = fh.read().decode("utf-8", "surrogateescape")
    header, raws, malformed, overlong, nfields, line_nos, blank = _split_records(text)
    del text
    hdr_cols = list(pd.read_csv(io.StringIO(header + "\n"), dtype=str,
                                keep_default_na=False).columns)
    width = len(hdr_cols)
    n = len(raws)
    good = ~malformed & (nfields == width)
    if good.all():
        df = pd.read_csv(path, dtype=str, keep_default_na=False,
                         encoding_errors="surrogateescape")
        if len(df) != n:
            raise RuntimeError("pandas read %d rows, expected %d" % (len(df), n))
    else:
        # well-formed records through pandas, the rest decoded leniently
        body = header + "\n" + "\n".join(raws[good]) + "\n"
        parts = [pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)]
        parts[0].index = np.flatnonzero(good)
        bad_idx = np.flatnonzero(~good)
        rows, counts = _decode_lenient(raws[~good], width, overlong[~good])
        nfields[bad_idx] = counts
        parts.append(pd.DataFrame(rows, columns=hdr_cols, index=bad_idx))
        df = pd.concat(parts).sort_index().reset_index(drop=True)
    missing_cols = [c for c in COLUMNS if c not in df.columns]
    if missing_cols:
        raise RuntimeError("input lacks columns %s" % missing_cols)
    return raws, malformed, overlong, line_nos, hdr_cols, df, nfields, blank


def load(path, detail=None):
    """Clean the file as docs/cleaning.md says.

    Returns (summary dict, frame of the accepted rows with derived columns:
    minute, secs, micros, src, dst (canonical text), src_id, dst_id (codes),
    dest_port, bytes, packets, syn_only, tcp, udp, label_true, attack_type).  If
    `detail` is a dict, the per-row verdicts are stored in it."""
    raws, malformed, overlong, line_nos, hdr_cols, df, nfields, blank = _read(path)
    n = len(raws)
    q = {
        "csv_malformed": malformed,
        "field_count": nfields != len(hdr_cols),
    }
    ts_missing, ts_invalid, secs, micros = _parse_timestamps(df["timestamp"])
    q["timestamp_missing"], q["timestamp_invalid"] = ts_missing, ts_invalid
    (q["src_ip_missing"], q["src_ip_invalid"], q["src_ip_unusable"], src_txt,
     _) = _per_unique(df["source_ip"], lambda u: _check_ip_unique(u, True))
    (q["dst_ip_missing"], q["dst_ip_invalid"], q["dst_ip_unusable"], dst_txt,
     _) = _per_unique(df["dest_ip"], lambda u: _check_ip_unique(u, False))
    known, is_tcp, is_udp, needs_port = _per_unique(df["protocol"], _protocol_unique)
    q["protocol_unknown"] = ~known
    q["port_invalid"] = (_per_unique(df["source_port"], _port_bad_unique)
                         | _per_unique(df["dest_port"], _port_bad_unique)
                         | ((df["dest_port"] == "").to_numpy() & needs_port))
    counter_bad = np.zeros(n, dtype=bool)
    counters = {}
    for c in ("bytes_sent", "bytes_received", "packets_sent", "packets_received"):
        bad, ok, v = _per_unique(df[c], _counter_unique)
        counter_bad |= bad
        counters[c] = (ok, v)
    q["counter_invalid"] = counter_bad
    ps_valid, ps = _per_unique(df["packet_size"], _packet_size_unique)
    b_ok, b = counters["bytes_sent"]
    k_ok, k = counters["packets_sent"]
    # defaults for empty counters: an empty packets_sent is one packet
    k_empty = (df["packets_sent"] == "").to_numpy()
    k_ok = k_ok | k_empty
    k = np.where(k_empty, 1, k)
    k_pos = k_ok & (k > 0)
    safe_k = np.where(k_pos, k, 1)
    mean = b // safe_k
    repairable = b_ok & k_pos & (b % safe_k == 0) & (mean >= 20) & (mean <= 65535)
    q["packet_size_invalid"] = ~ps_valid & ~repairable
    # an empty bytes_sent is packet_size x packets_sent when the size is valid
    b_empty = (df["bytes_sent"] == "").to_numpy()
    with np.errstate(over="ignore"):
        b = np.where(b_empty & ps_valid & k_ok, ps * k, np.where(b_ok, b, 0))
    # a record over 1 MiB is not split into fields: csv_malformed alone
    for r in REASONS:
        if r != "csv_malformed":
            q[r] = np.asarray(q[r], dtype=bool) & ~overlong
    q = {r: np.asarray(q[r], dtype=bool) for r in REASONS}

    quarantined = np.zeros(n, dtype=bool)
    for r in REASONS:
        quarantined |= q[r]

    # duplicates: among rows without a quarantine fault, raw text seen before
    clean = ~quarantined
    dup = np.zeros(n, dtype=bool)
    dup[clean] = raws[clean].duplicated(keep="first").to_numpy()
    acc = clean & ~dup

    # repairs, counted on accepted rows
    fl_clear, syn_flag = _per_unique(df["flags"], _flags_unique)
    lab_clear, lab_true = _per_unique(df["is_attack"], _label_unique)
    repairs = {
        "packet_size_from_bytes": ~ps_valid & repairable,
        "response_time_cleared": _per_unique(df["response_time_ms"], _response_time_cleared_unique),
        "ttl_cleared": _per_unique(df["ttl"], _ttl_cleared_unique),
        "tcp_flags_cleared": fl_clear,
        "country_cleared": _per_unique(df["country"], _country_cleared_unique),
        "http_status_cleared": _per_unique(df["status_code"], _status_cleared_unique),
        "label_cleared": lab_clear,
    }
    repairs = {r: np.asarray(m, dtype=bool) & acc for r, m in repairs.items()}

    # (the fields of a record over 1 MiB are neither empty nor faulty)
    empty_fields = {c: int(((df[c] == "").to_numpy() & ~overlong).sum()) for c in COLUMNS}

    # the accepted rows with derived values
    src = src_txt[acc]
    dst = dst_txt[acc]
    a = pd.DataFrame({
        "minute": np.floor_divide(secs[acc], 60),
        "secs": secs[acc],
        "micros": micros[acc],
        "src": src,
        "dst": dst,
        "src_id": pd.factorize(src)[0],
        "dst_id": pd.factorize(dst)[0],
        "dest_port": df["dest_port"].to_numpy()[acc],
        "bytes": b[acc],
        "packets": np.where(k_ok, k, 0)[acc],
        "syn_only": (is_tcp & syn_flag & ~fl_clear)[acc],
        "tcp": is_tcp[acc],
        "udp": is_udp[acc],
        "label_true": (lab_true & ~lab_clear)[acc],
        "attack_type": df["attack_type"].to_numpy()[acc],
    })
    a.loc[a["attack_type"] == "", "attack_type"] = "normal"

    if detail is not None:
        detail.update(raws=raws, line=line_nos, reasons=q, duplicate=dup, accepted=acc,
                      repairs=repairs)

    summary = {
        "rows_read": int(n),
        "accepted": int(acc.sum()),
        "duplicates": int(dup.sum()),
        "quarantined": int(quarantined.sum()),
        "late": 0,
        "blank_lines": int(blank),
        "quarantined_by_reason": {r: int(q[r].sum()) for r in REASONS},
        "repaired": {r: int(m.sum()) for r, m in repairs.items()},
        "empty_fields": empty_fields,
        "extra_columns": [c for c in hdr_cols if c not in COLUMNS],
        "events_by_attack_type": {k: int(v) for k, v in a["attack_type"].value_counts().items()},
        "top_sources": _top_sources(a),
        "events_per_minute": _events_per_minute(a),
    }
    if len(a):
        order = np.lexsort((a["micros"].to_numpy(), a["secs"].to_numpy()))
        summary["first_event"] = _iso(a["secs"].iat[order[0]], a["micros"].iat[order[0]])
        summary["last_event"] = _iso(a["secs"].iat[order[-1]], a["micros"].iat[order[-1]])
    return summary, a


def _iso(secs, micros):
    t = str(np.datetime64(int(secs), "s"))
    return "%s.%06dZ" % (t, micros) if micros else t + "Z"


def _minute_iso(m):
    return str(np.datetime64(int(m) * 60, "s"))[:16] + ":00Z"


def _top_sources(a, k=10):
    g = a.groupby("src_id", sort=False).agg(src=("src", "first"), events=("src", "size"),
                                             bytes=("bytes", "sum"), packets=("packets", "sum"))
    if g.empty:
        return []
    # the k largest event counts, with every tie at the boundary, then exact order
    cut = g["events"].nlargest(k).min()
    cand = g[g["events"] >= cut].reset_index()
    cand["key"] = cand["src"].map(_ip_sort_key)
    cand["neg"] = -cand["events"]
    cand = cand.sort_values(["neg", "key"]).head(k)
    return [{"ip": r.src, "events": int(r.events), "bytes": int(r.bytes),
             "packets": int(r.packets)} for r in cand.itertuples()]


def _events_per_minute(a):
    g = a.groupby("minute").agg(
        events=("minute", "size"),
        syn_only_tcp=("syn_only", "sum"),
        bytes=("bytes", "sum"),
        labelled_attack=("label_true", "sum"),
        distinct_sources=("src_id", "nunique"),
    )
    return [{"minute": _minute_iso(m), "events": int(r.events),
             "syn_only_tcp": int(r.syn_only_tcp), "bytes": int(r.bytes),
             "labelled_attack": int(r.labelled_attack),
             "distinct_sources": int(r.distinct_sources)}
            for m, r in zip(g.index, g.itertuples())]


def pandas_summary(path):
    """The batch summary of `path`, computed with pandas from docs/cleaning.md."""
    return load(path)[0]


def minute_aggregates(a):
    """Per-minute per-destination and per-source aggregates of the accepted
    frame `a` (from load()), the ones floodwatch keeps for detection
    (agg_minute_dst, agg_minute_src).  Returns two frames."""
    per_dst = a.groupby(["minute", "dst_id"], sort=True).agg(
        dst=("dst", "first"), events=("src_id", "size"), bytes=("bytes", "sum"),
        packets=("packets", "sum"), syn_only=("syn_only", "sum"), tcp=("tcp", "sum"),
        udp=("udp", "sum"), labelled_attack=("label_true", "sum"),
        distinct_src=("src_id", "nunique"))
    per_src = a.groupby(["minute", "src_id"], sort=True).agg(
        src=("src", "first"), events=("dst_id", "size"), bytes=("bytes", "sum"),
        packets=("packets", "sum"), syn_only=("syn_only", "sum"),
        labelled_attack=("label_true", "sum"))
    return per_dst, per_src


# --------------------------------------------------------------------------
# comparison
# --------------------------------------------------------------------------

def _diff(path, want, got, out):
    """Append readable differences between pandas (want) and C (got)."""
    if isinstance(want, dict) and isinstance(got, dict):
        for key in list(want) + [k for k in got if k not in want]:
            if key not in got:
                out.append("%s.%s: pandas=%r, floodwatch: missing" % (path, key, want[key]))
            elif key not in want:
                if isinstance(got[key], (int, float)) and got[key] == 0:
                    continue  # a zero count pandas has no key for
                out.append("%s.%s: pandas: missing, floodwatch=%r" % (path, key, got[key]))
            else:
                _diff("%s.%s" % (path, key), want[key], got[key], out)
    elif isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            out.append("%s: length pandas=%d floodwatch=%d" % (path, len(want), len(got)))
        if want and isinstance(want[0], dict) and "minute" in want[0]:
            wm = {r["minute"]: r for r in want}
            gm = {r.get("minute"): r for r in got if isinstance(r, dict)}
            for m in sorted(set(wm) | set(gm)):
                if m not in gm:
                    out.append("%s[%s]: pandas=%r, floodwatch: missing" % (path, m, wm[m]))
                elif m not in wm:
                    out.append("%s[%s]: pandas: missing, floodwatch=%r" % (path, m, gm[m]))
                else:
                    _diff("%s[%s]" % (path, m), wm[m], gm[m], out)
        else:
            for i, (w, g) in enumerate(zip(want, got)):
                _diff("%s[%d]" % (path, i), w, g, out)
    elif want != got or type(want) is not type(got) and not (
            isinstance(want, int) and isinstance(got, int)):
        out.append("%s: pandas=%r floodwatch=%r" % (path, want, got))


def compare(want, got):
    out = []
    keys = ["rows_read", "accepted", "duplicates", "quarantined", "late", "blank_lines",
            "quarantined_by_reason", "repaired", "empty_fields", "extra_columns",
            "events_by_attack_type", "top_sources", "events_per_minute",
            "first_event", "last_event"]
    for k in keys:
        if k not in want:
            continue
        if k not in got:
            out.append("%s: pandas=%r, floodwatch: missing" % (k, want[k]))
            continue
        _diff(k, want[k], got[k], out)
    if got.get("top_sources_exact") is not True:
        out.append("top_sources_exact: floodwatch=%r (expected true: exact counts)"
                   % got.get("top_sources_exact"))
    return out


def _run(cmd):
    """Run a floodwatch command quietly; on failure raise with its stderr."""
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (" ".join(cmd[:2]), r.returncode,
                                                 r.stderr.strip()[-500:]))


_AGG_DST = ["events", "bytes", "packets", "syn_only", "tcp", "udp", "labelled_attack",
            "distinct_src"]
_AGG_SRC = ["events", "bytes", "packets", "syn_only", "labelled_attack"]


def _db_run(fw, data):
    """Run batch with a database; return an open sqlite3 connection to it."""
    db = data + ".db"
    for f in (db, db + "-journal", db + "-wal"):
        if os.path.exists(f):
            os.unlink(f)
    _run([fw, "batch", "--db", db, "--no-progress", "-q", "--summary", data + ".db.json", data])
    return sqlite3.connect(db)


def aggregate_diffs(con, accepted, limit=20):
    """Compare the stored per-minute per-destination and per-source
    aggregates (agg_minute_dst, agg_minute_src) with pandas'."""
    per_dst, per_src = minute_aggregates(accepted)
    (run,), = con.execute("SELECT max(run_id) FROM runs")
    out = []
    for table, key, cols, frame in (("agg_minute_dst", "dst", _AGG_DST, per_dst),
                                    ("agg_minute_src", "src", _AGG_SRC, per_src)):
        extra = ", distinct_src_exact" if table == "agg_minute_dst" else ""
        got = {(r[0], r[1]): r[2:] for r in con.execute(
            "SELECT minute, %s, %s%s FROM %s WHERE run_id = ?"
            % (key, ", ".join(cols), extra, table), (run,))}
        f = frame.reset_index()
        want = {(_minute_iso(m), k): tuple(int(x) for x in vals)
                for m, k, *vals in zip(f["minute"], f[key], *(f[c] for c in cols))}
        for mk in sorted(set(want) | set(got)):
            if mk not in got:
                out.append("%s[%s %s]: pandas=%s, floodwatch: missing" % (table, *mk, want[mk]))
            elif mk not in want:
                out.append("%s[%s %s]: pandas: missing, floodwatch=%s" % (table, *mk, got[mk]))
            else:
                g = got[mk]
                for c, w, v in zip(cols, want[mk], g):
                    if c == "distinct_src" and extra and not g[-1]:
                        continue  # an estimate, not an exact count
                    if w != v:
                        out.append("%s[%s %s].%s: pandas=%d floodwatch=%d" % (table, *mk, c, w, v))
    if len(out) > limit:
        out = out[:limit] + ["... and %d more" % (len(out) - limit)]
    return out


def row_examples(con, detail, limit=12):
    """Rows whose quarantine reasons differ (the quarantine table keeps each
    row's line and reasons)."""
    (run,), = con.execute("SELECT max(run_id) FROM runs")
    theirs = {int(line): set(filter(None, reasons.replace(" ", "").split(",")))
              for line, reasons in con.execute(
                  "SELECT line, reasons FROM quarantine WHERE run_id = ?", (run,))}
    out = []
    for i, line in enumerate(detail["line"]):
        mine = {r for r in REASONS if detail["reasons"][r][i]}
        got = theirs.get(int(line), set())
        if mine != got:
            raw = detail["raws"][i]
            out.append("line %d: pandas quarantines for %s, floodwatch for %s | %s"
                       % (line, ",".join(sorted(mine)) or "(nothing)",
                          ",".join(sorted(got)) or "(nothing)",
                          raw if len(raw) <= 160 else raw[:157] + "..."))
    if len(out) > limit:
        out = out[:limit] + ["... and %d more rows" % (len(out) - limit)]
    return out


def check_file(fw, data, label, rows=False):
    """Compare floodwatch's summary of `data` (batch --no-db) and its stored
    per-minute aggregates (batch --db) with pandas; print the result."""
    summ = data + ".json"
    _run([fw, "batch", "--no-db", "--no-progress", "-q", "--summary", summ, data])
    with open(summ) as fh:
        got = json.load(fh)
    detail = {}
    want, accepted = load(data, detail)
    diffs = compare(want, got)
    con = _db_run(fw, data)
    try:
        try:
            diffs += aggregate_diffs(con, accepted)
        except sqlite3.Error as e:
            diffs.append("per-minute aggregates: cannot read the database (%s)" % e)
        examples = row_examples(con, detail) if diffs or rows else []
    finally:
        con.close()
    if diffs:
        print("FAIL %s: %d difference(s) (pandas = docs/cleaning.md, floodwatch = C)"
              % (label, len(diffs)))
        for d in diffs[:60]:
            print("  " + d)
        if len(diffs) > 60:
            print("  ... and %d more" % (len(diffs) - 60))
    if examples:
        print("  rows quarantined differently:")
        for e in examples:
            print("    " + e)
    if diffs:
        return False
    print("ok   %s: rows %d, accepted %d, duplicates %d, quarantined %d, %d minutes, "
          "per-minute aggregates equal"
          % (label, want["rows_read"], want["accepted"], want["duplicates"],
             want["quarantined"], len(want["events_per_minute"])))
    return True


def run_case(fw, tmp, name, gen_args):
    data = os.path.join(tmp, name + ".csv")
    _run([fw, "generate", *gen_args, "-o", data])
    return check_file(fw, data, "%s (generate %s)" % (name, " ".join(gen_args)))


CASES = [
    ("seed7", ["--seed", "7", "--rate", "50"]),
    ("seed11_udp", ["--seed", "11", "--rate", "20", "--duration", "30m", "--no-attacks",
                    "--attack", "udp_flood:5-10:20"]),
]

# edge: one hand-made row per rule of docs/cleaning.md (boundaries and
# forms the generator never writes).  Part of every run: it shows where the
# doc and the C code read a rule differently.
_EDGE_BASE = dict(zip(COLUMNS, (
    "2026-01-01T00:00:05.5,192.168.1.2,10.0.1.1,40000,80,TCP,60,64,SYN,1.5,US,HTTP,"
    "60,0,1,0,s,False,,GET,/,200,bot").split(",")))
_EDGE_ROWS = [
    {}, {"timestamp": "2024-02-29 10:00"}, {"timestamp": "2023-02-29 10:00"},
    {"timestamp": " 2026-01-01T00:01:00Z "}, {"timestamp": "2026-01-01T00:01:00+0130"},
    {"timestamp": "2026-01-01T00:01:00-01:30"}, {"timestamp": "2026-01-01t00:01:00"},
    {"timestamp": "2026-01-01T00:01:00z"}, {"timestamp": "2026-01-01t00:02:00.25z"},
    {"timestamp": "2026-01-01 00:02:30+01:00"}, {"timestamp": "2026-01-01T00:01:00Zz"},
    {"timestamp": "2026-01-01x00:01:00"}, {"timestamp": "0999-01-01T00:01:00"},
    {"timestamp": "2026-01-01T00:01:00.1234567"}, {"timestamp": "2024-13-45 25:99:99"},
    {"timestamp": "0000-00-00 00:00:00"}, {"timestamp": "INVALID_TIME"}, {"timestamp": " "},
    {"timestamp": ""}, {"source_ip": ""}, {"source_ip": "01.2.3.4"}, {"source_ip": "::1"},
    {"source_ip": "::"}, {"source_ip": "ff02::1"}, {"source_ip": "224.0.0.1"},
    {"source_ip": "239.255.255.255"}, {"source_ip": "255.255.255.255"},
    {"source_ip": "0.0.0.0"}, {"source_ip": "192.168.1"}, {"source_ip": "999.999.999.999"},
    {"source_ip": "192.168.1.256"}, {"source_ip": "corrupted"}, {"source_ip": " 1.2.3.4"},
    {"source_ip": "::ffff:1.2.3.4"}, {"source_ip": "::FFFF:1.2.3.4", "source_port": "40001"},
    {"source_ip": "::ffff:0102:0304"}, {"source_ip": "::ffff:224.0.0.1"},
    {"source_ip": "::ffff:0.1.2.3"}, {"dest_ip": "::ffff:10.0.1.1"},
    {"dest_ip": "::ffff:0.1.2.3"}, {"source_ip": "::ffff:1.2.3"}, {"dest_ip": "224.0.0.1"},
    {"dest_ip": "0.1.2.3"}, {"dest_ip": "::"}, {"dest_ip": ""}, {"dest_ip": "10.0.1"},
    {"protocol": "tcp"}, {"protocol": "6", "dest_port": ""}, {"protocol": "17", "dest_port": ""},
    {"protocol": "256"}, {"protocol": "icmpv6", "dest_port": ""}, {"protocol": ""},
    {"protocol": "UDP", "dest_port": ""}, {"protocol": "SCTP", "dest_port": ""},
    {"protocol": "ICMP", "dest_port": ""}, {"dest_port": "80.0"}, {"dest_port": "80.5"},
    {"dest_port": "65536"}, {"source_port": ""}, {"source_port": "-1"},
    {"bytes_sent": "60.0"}, {"bytes_sent": "60.00"}, {"bytes_sent": "60.5"},
    {"bytes_sent": "-1"}, {"bytes_received": ""},
    {"bytes_received": "7.0"}, {"packets_sent": "2.0", "bytes_sent": "120"},
    {"packets_received": "3.0"}, {"packets_received": "x"}, {"source_port": "40000.0"},
    {"packets_sent": ""}, {"packets_sent": "", "bytes_sent": "300", "packet_size": "300"},
    {"bytes_sent": ""}, {"bytes_sent": "", "packet_size": "100", "packets_sent": "3"},
    {"bytes_sent": "", "packets_sent": "", "packet_size": "70.0"},
    {"bytes_sent": "", "packet_size": "-1"}, {"bytes_sent": "", "packet_size": ""},
    {"packet_size": "60.0"}, {"packet_size": "60.5"}, {"packet_size": "-1"},
    {"packet_size": "999999"}, {"packet_size": "-1", "packets_sent": ""},
    {"packet_size": "0", "bytes_sent": "1500", "packets_sent": ""},
    {"packet_size": "0", "bytes_sent": "10", "packets_sent": ""},
    {"packet_size": "0", "bytes_sent": "120.0", "packets_sent": "2.0"},
    {"packet_size": "0", "bytes_sent": "120", "packets_sent": "2"},
    {"packet_size": "0", "bytes_sent": "121", "packets_sent": "2"},
    {"packet_size": "0", "bytes_sent": "10", "packets_sent": "1"},
    {"packet_size": "0", "bytes_sent": "60", "packets_sent": "0"}, {"packet_size": ""},
    {"response_time_ms": "abc"}, {"response_time_ms": "-100"},
    {"response_time_ms": "1000000"}, {"response_time_ms": "600000"},
    {"response_time_ms": "600000.1"}, {"response_time_ms": "1e3"}, {"ttl": "256"},
    {"ttl": "64.0"}, {"ttl": "64.5"}, {"ttl": "255.0"}, {"ttl": "-1"}, {"flags": "syn"},
    {"flags": "SYN|ACK"}, {"flags": "SYN ACK"}, {"flags": "SYN, ACK"}, {"flags": "SYN,,ACK"},
    {"flags": "syn,,ack"}, {"flags": "SYN||ACK"}, {"flags": "SYN , | ACK"},
    {"flags": ".AP.SF"}, {"flags": "....S."}, {"flags": "S"},
    {"flags": "SA"}, {"flags": "SS"}, {"flags": "FA"}, {"flags": "SYN,SYN"},
    {"flags": "XYZ"}, {"flags": "SX"}, {"flags": "SYN", "protocol": "UDP"}, {"country": "U1"},
    {"country": "usa"}, {"country": "us"}, {"status_code": "200.0"}, {"status_code": "200.5"},
    {"status_code": "99"}, {"status_code": "600"}, {"status_code": "abc"},
    {"is_attack": "TRUE"}, {"is_attack": "Yes"}, {"is_attack": "maybe"},
    {"is_attack": "True", "attack_type": "syn_flood"},
]


def write_edge_file(path):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for i, change in enumerate(_EDGE_ROWS):
        row = dict(_EDGE_BASE, session_id="e%03d" % i, **change)
        w.writerow([row[c] for c in COLUMNS])
    base = [_EDGE_BASE[c] for c in COLUMNS]
    w.writerow([dict(_EDGE_BASE, session_id="e000")[c] for c in COLUMNS])  # duplicates row 0
    text = out.getvalue()
    text += ",".join(base[:5] + ['"TCP"x'] + base[6:]) + "\n"       # text after a quote
    text += ",".join(base[:-1]) + "\n"                             # 22 fields
    text += ",".join(base[:-1]) + "\n"                             # again: quarantined, not a duplicate
    text += ",".join(base + ["extra"]) + "\n"                      # 24 fields
    text += "\n"                                                   # a blank line
    text += "\r\n"                                                 # a blank line (CRLF)
    text += ",".join(base[:-1]) + ',"multi\nline"\n'               # quoted line break
    text += ",".join(base[:-1]) + ',a"b\n'                         # literal quote
    text += ",".join(base[:-1]) + ",nul\0byte\n"                   # NUL byte
    text += ",".join(base[:-1]) + "," + "x" * (MAX_RECORD + 10) + "\n"  # over 1 MiB
    # over 1 MiB, with fields that would be empty or faulty if it were split:
    # still csv_malformed alone, and no empty fields counted
    text += ",corrupted,,x,,,,,,,,," + "y" * (MAX_RECORD + 10) + "\n"
    text += "\n\n"                                                 # two blank lines
    text += ",".join(base[:-1]) + ',"unterminated\n'               # runs to the end
    text += ",".join(base) + "\n"
    with open(path, "w", newline="") as fh:
        fh.write(text)


def main(argv):
    fw = os.environ.get("FW")
    if not fw or not os.access(fw, os.X_OK):
        print("xcheck: set FW to the floodwatch binary (got %r)" % fw, file=sys.stderr)
        return 2
    # argv: `--edge` is accepted and ignored (the edge file is always checked)
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="fw-xcheck-") as tmp:
        jobs = [(name, lambda n=name, a=args: run_case(fw, tmp, n, a)) for name, args in CASES]

        def edge_case():
            data = os.path.join(tmp, "edge.csv")
            write_edge_file(data)
            return check_file(fw, data, "edge (hand-made rows, one per rule)", rows=True)
        jobs.append(("edge", edge_case))
        for name, job in jobs:
            try:
                ok = job()
            except (subprocess.CalledProcessError, RuntimeError, OSError, ValueError,
                    sqlite3.Error) as e:
                print("FAIL %s: %s" % (name, e))
                ok = False
            passed += ok
            failed += not ok
    print("xcheck: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
