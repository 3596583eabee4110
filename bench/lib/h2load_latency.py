#!/usr/bin/env python3
"""Latency percentiles from h2load's --log-file, which h2load's own summary lacks.

Each line of the log is one request: start time (microseconds since the epoch), status code, and the time from the
request's start to its response's end, in microseconds. Prints one JSON object:
  {"requests": N, "non2xx": K, "p50_ms": ..., "p99_ms": ...}
(percentiles by nearest rank over every logged request; null without requests).

usage: h2load_latency.py LOG
"""
import json
import math
import sys


def percentile(ordered, pct):
    if not ordered:
        return None
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def main():
    elapsed = []
    non2xx = 0
    with open(sys.argv[1], encoding="ascii", errors="replace") as f:
        for line in f:
            parts = line.split("\t")
            if len(parts) < 3:
                continue
            status, micros = parts[1], parts[2]
            if not status.startswith("2"):
                non2xx += 1
            elapsed.append(int(micros) / 1000)
    elapsed.sort()
    print(json.dumps({"requests": len(elapsed), "non2xx": non2xx,
                      "p50_ms": percentile(elapsed, 50), "p99_ms": percentile(elapsed, 99)}))


if __name__ == "__main__":
    main()
