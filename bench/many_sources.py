#!/usr/bin/python3
"""Write a seed-format CSV with N flows from N distinct sources inside one
60 s window toward the 10 servers, in event-time order (for the stream
memory benchmark).  Usage: many_sources.py N OUT"""
import sys

n, out = int(sys.argv[1]), sys.argv[2]
header = ("timestamp,source_ip,dest_ip,source_port,dest_port,protocol,packet_size,ttl,flags,"
          "response_time_ms,country,service,bytes_sent,bytes_received,packets_sent,"
          "packets_received,session_id,is_attack,attack_type,http_method,uri_path,status_code,"
          "user_agent\n")
with open(out, "w") as f:
    f.write(header)
    for i in range(n):
        us = i * 60_000_000 // n
        a = 0x20000000 + i
        src = f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}"
        f.write(f"2026-01-01T00:00:{us // 1_000_000:02d}.{us % 1_000_000:06d},{src},"
                f"10.0.1.{i % 10 + 1},40000,443,TCP,400,64,ACK,30.0,US,HTTPS,400,800,1,1,"
                f",False,,GET,/,200.0,bot\n")
