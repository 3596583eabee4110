#!/usr/bin/env python3
"""Memory per idle passthrough tunnel.

Opens COUNT TLS connections to 127.0.0.1:PORT with SNI, completes the handshake on each (so the proxy has
parsed a real ClientHello and holds a tunnel to the backend), keeps them all open and idle, then reads the
proxy's VmRSS. Per tunnel = (RSS with the tunnels - RSS before) / COUNT.

A short warm-up (open and close WARMUP connections) comes first so that code paths loaded on first use are
not charged to the tunnels. Prints one JSON object on stdout.

usage: idle_tunnels.py --port 8443 --sni exchange.dyb.test --pid 1234 [--pid ...] [--count 5000]
"""
import argparse
import json
import socket
import ssl
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def rss_kb(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def open_tunnels(ctx, port, sni, count, deadline, parallel):
    """Open count TLS connections (parallel handshakes at a time); returns (open connections, failures)."""
    def open_one(_):
        if time.monotonic() > deadline:
            return None
        try:
            raw = socket.create_connection(("127.0.0.1", port), timeout=10)
            return ctx.wrap_socket(raw, server_hostname=sni)  # handshakes here
        except OSError:
            return None

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        conns = [c for c in pool.map(open_one, range(count)) if c is not None]
    return conns, count - len(conns)


def close_all(conns):
    for c in conns:
        try:
            c.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--sni", required=True)
    ap.add_argument("--pid", type=int, action="append", required=True, help="proxy process(es) to measure")
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--parallel", type=int, default=8, help="handshakes in flight at once")
    ap.add_argument("--settle", type=float, default=2.0, help="seconds to wait before each RSS reading")
    ap.add_argument("--time-limit", type=float, default=90.0, help="give up opening connections after this")
    args = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE

    started = time.monotonic()
    deadline = started + args.time_limit
    warm, _ = open_tunnels(ctx, args.port, args.sni, args.warmup, deadline, args.parallel)
    close_all(warm)
    time.sleep(args.settle)
    before = rss_kb(args.pid)

    conns, failures = open_tunnels(ctx, args.port, args.sni, args.count, deadline, args.parallel)
    opened_in = time.monotonic() - started
    time.sleep(args.settle)
    after = rss_kb(args.pid)
    # Every tunnel must still be open when RSS is read: a peek that finds data or EOF means it was closed.
    alive = 0
    for c in conns:
        try:
            c.setblocking(False)
            if c.recv(1):  # TLS 1.3 session tickets are consumed here; b"" is a clean close
                alive += 1
        except ssl.SSLWantReadError:  # nothing to read: still open
            alive += 1
        except (OSError, ssl.SSLError):
            pass
    close_all(conns)

    opened = len(conns)
    result = {
        "opened": opened,
        "alive": alive,
        "failures": failures,
        "requested": args.count,
        "rss_before_kb": before,
        "rss_after_kb": after,
        "per_tunnel_bytes": (after - before) * 1024 / opened if opened else None,
        "open_seconds": round(opened_in, 2),
    }
    json.dump(result, sys.stdout)
    print()
    return 0 if opened == args.count and alive == opened else 1


if __name__ == "__main__":
    sys.exit(main())
