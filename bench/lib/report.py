#!/usr/bin/env python3
"""Turn bench/run.sh's raw outputs into bench/results/latest.md.

Reads RAW_DIR (written by run.sh):
  params.env                          key=value: the run's parameters
  {keepalive,close}.{contender}.{n}.wrk   wrk --latency output of round n
  {keepalive,close}.{contender}.{n}.cpu   CPU clock ticks (utime+stime) the proxy used during that wrk run
  {full,mixed,body-10k,body-1m}.{contender}.{n}.wrk   the same for the added L7 workloads; full and mixed end with
                                      the session shim's "tls-handshakes:" line
  {h2,h2-10k}.{contender}.{n}.h2load  h2load's output, with .lat (h2load_latency.py's percentiles) and .cpu
  resumption.{contender}.txt          a short plain-wrk Connection: close run with the shim counting, no session dropped
  download.{contender}.{n}.txt        curl's "http_code size_download speed_download"
  idle.{contender}.{n}.json           idle_tunnels.py's result
  warnings.txt                        problems run.sh noticed while running
Every figure is the median over rounds; each table also lists the rounds so the spread is visible.

usage: report.py RAW_DIR OUT.md
"""
import glob
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

LABEL = {
    "direct": "direct to the TLS backend",
    "haproxy-l4": "HAProxy L4",
    "gateway-l4": "Gateway L4",
    "nginx-l7": "nginx L7",
    "gateway-l7": "Gateway L7",
    "haproxy-nginx": "HAProxy L4 -> nginx L7 (the path it replaces)",
    "gateway-l7-log": "Gateway L7, access log on",
    "nginx-l7-h2": "nginx L7, http2 on",
    "haproxy-nginx-h2": "HAProxy L4 -> nginx L7, http2 on",
}
L4 = ["direct", "haproxy-l4", "gateway-l4"]
L7 = ["nginx-l7", "gateway-l7", "haproxy-nginx"]
H2 = ["nginx-l7-h2", "gateway-l7", "haproxy-nginx-h2"]
L7_REFS = [("vs nginx", "nginx-l7"), ("vs HAProxy -> nginx", "haproxy-nginx")]
H2_REFS = [("vs nginx", "nginx-l7-h2"), ("vs HAProxy -> nginx", "haproxy-nginx-h2")]
UNIT_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- parsing

def parse_wrk(text):
    """The numbers wrk prints, or None for the ones it did not print."""
    def num(pattern):
        m = re.search(pattern, text)
        return float(m.group(1)) if m else None

    def latency(pct):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        return float(m.group(1)) * UNIT_SECONDS[m.group(2)] * 1000 if m else None  # in ms

    m = re.search(r"(\d+) requests in", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "rps": num(r"Requests/sec:\s+([\d.]+)"),
        "requests": int(m.group(1)) if m else None,
        "p50": latency(50),
        "p99": latency(99),
        "non2xx": int(num(r"Non-2xx or 3xx responses:\s+(\d+)") or 0),
        "socket_errors": dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups()))) if errors else {},
    }


def parse_h2load(text):
    """The numbers h2load prints (its percentiles come from the .lat file beside), or None for the missing ones."""
    rps = re.search(r"^finished in [^,]+, ([\d.]+) req/s", text, re.M)
    req = re.search(r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                    r"(\d+) errored, (\d+) timeout", text, re.M)
    codes = re.search(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text, re.M)
    return {
        "rps": float(rps.group(1)) if rps else None,
        "requests": int(req.group(4)) if req else None,
        "p50": None,
        "p99": None,
        "non2xx": sum(int(x) for x in codes.groups()[1:]) if codes else 0,
        "failed": dict(zip(("failed", "errored", "timeout"), map(int, req.groups()[4:]))) if req else {},
    }


SHIM_LINE = re.compile(r"^tls-handshakes: completed (\d+) resumed (\d+) sessions-dropped (\d+)$", re.M)


def parse_shim(text):
    """(completed, resumed) handshakes from tls_session_shim's exit line, or None when it printed none."""
    m = SHIM_LINE.search(text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def rounds(raw, pattern):
    """{contender: [(round, path), ...]} for files named like pattern with {c} and {n}."""
    found = {}
    regex = re.compile(re.escape(pattern).replace(r"\{c\}", r"([\w-]+)").replace(r"\{n\}", r"(\d+)") + "$")
    for path in sorted(glob.glob(os.path.join(raw, "*"))):
        m = regex.match(os.path.basename(path))
        if m:
            found.setdefault(m.group(1), []).append((int(m.group(2)), path))
    return {c: sorted(v) for c, v in found.items()}


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def load_wrk(raw, workload, seconds, problems, ext="wrk"):
    """{contender: {"rounds": [parsed...], median fields...}}; seconds: the length of one run. A round whose output
    cannot be read or holds no result is kept with rps None (a "failed" cell) and listed under problems."""
    out = {}
    for contender, files in rounds(raw, workload + ".{c}.{n}." + ext).items():
        runs = []
        for n, path in files:
            where = f"{workload} {LABEL.get(contender, contender)} round {n}"
            try:
                r = load_round(path, ext, workload, seconds, where, problems)
            except (OSError, ValueError, KeyError, TypeError) as e:
                problems.append(f"{where}: unreadable output ({os.path.basename(path)}: {e})")
                r = {"rps": None, "requests": None, "p50": None, "p99": None, "cpu_per_10k": None}
            r["round"] = n
            runs.append(r)
        out[contender] = summarize(runs, ["rps", "p50", "p99", "cpu_per_10k", "resumed_share"])
    return out


def load_round(path, ext, workload, seconds, where, problems):
    stem = path[: -len(ext) - 1]
    text = read(path)
    r = parse_h2load(text) if ext == "h2load" else parse_wrk(text)
    if ext == "h2load":
        lat = json.loads(read(stem + ".lat")) if os.path.exists(stem + ".lat") and read(stem + ".lat").strip() else {}
        r["p50"], r["p99"] = lat.get("p50_ms"), lat.get("p99_ms")
        if any(r["failed"].values()):
            problems.append(f"{where}: h2load requests {r['failed']}")
    cpu_path = stem + ".cpu"
    r["cpu_s"] = int(read(cpu_path).strip()) / CLK_TCK if os.path.exists(cpu_path) else None
    r["cpu_per_10k"] = r["cpu_s"] / r["requests"] * 10000 if r["cpu_s"] is not None and r["requests"] else None
    foreign_path = stem + ".foreign"
    if os.path.exists(foreign_path) and seconds:
        share = int(read(foreign_path).strip()) / CLK_TCK / seconds / (os.cpu_count() or 1)
        if share > 0.10:
            problems.append(f"{where}: other processes used {share:.0%} of the machine's CPU meanwhile")
    r["resumed_share"] = None
    reported = False
    if workload in ("full", "mixed"):
        shim = parse_shim(text)
        if shim is None:
            # Without the shim's count nothing says these were the handshakes they are labelled as.
            last = text.strip().splitlines()[-1][:160] if text.strip() else "empty"
            problems.append(f"{where}: the session shim printed no count ({os.path.basename(path)}: {last}): round not used")
            r["rps"] = None
            reported = True
        elif shim[0]:
            r["resumed_share"] = shim[1] / shim[0]
            if workload == "full" and shim[1]:
                problems.append(f"{where}: {shim[1]} of {shim[0]} handshakes were resumed, not full")
    if r["rps"] is None:
        r["p50"] = r["p99"] = r["cpu_per_10k"] = None  # a failed round's other figures are not used either
        if not reported:
            last = text.strip().splitlines()[-1][:160] if text.strip() else "empty"
            problems.append(f"{where}: no result ({os.path.basename(path)}: {last})")
    if r["non2xx"]:
        problems.append(f"{where}: {r['non2xx']} non-2xx/3xx responses")
    if any(r.get("socket_errors", {}).values()):
        problems.append(f"{where}: socket errors {r['socket_errors']}")
    return r


def load_resumption(raw):
    """{contender: (completed, resumed)} from the plain-wrk checks, None where the check printed no count."""
    out = {}
    for path in glob.glob(os.path.join(raw, "resumption.*.txt")):
        contender = os.path.basename(path)[len("resumption."):-len(".txt")]
        out[contender] = parse_shim(read(path))
    return out


def load_downloads(raw, problems, expected_bytes):
    out = {}
    for contender, files in rounds(raw, "download.{c}.{n}.txt").items():
        runs = []
        for n, path in files:
            parts = read(path).split()
            code, size, speed = (parts + ["", "0", "0"])[:3]
            try:
                ok = code == "200" and int(float(size)) == expected_bytes and float(speed) >= 0
            except ValueError:
                ok = False
            if not ok:
                problems.append(f"download {LABEL.get(contender, contender)} round {n}: HTTP {code or '?'}, "
                                f"{size} of {expected_bytes} bytes")
            runs.append({"mbps": float(speed) / 1e6 if ok else None})
        out[contender] = summarize(runs, ["mbps"])
    return out


def load_idle(raw, problems):
    out = {}
    for contender, files in rounds(raw, "idle.{c}.{n}.json").items():
        runs = []
        for n, path in files:
            try:
                r = json.loads(read(path))
                if not isinstance(r, dict) or not {"opened", "requested", "alive", "per_tunnel_bytes"} <= r.keys():
                    raise ValueError("fields missing")
            except ValueError:
                problems.append(f"idle {LABEL.get(contender, contender)} round {n}: no result")
                continue
            if r["opened"] != r["requested"] or r["alive"] != r["opened"]:
                problems.append(f"idle {LABEL.get(contender, contender)} round {n}: opened {r['opened']} of "
                                f"{r['requested']}, {r['alive']} still open at the RSS reading")
            r["kb"] = r["per_tunnel_bytes"] / 1024 if r["per_tunnel_bytes"] is not None else None
            runs.append(r)
        out[contender] = summarize(runs, ["kb", "rss_before_kb", "rss_after_kb"])
    return out


def seconds(duration):
    """wrk's -d value ("10s", "1m") in seconds, or None."""
    m = re.fullmatch(r"(\d+)([smh]?)", duration or "")
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)] if m else None


def summarize(runs, fields):
    s = {"rounds": runs}
    for f in fields:
        values = [r[f] for r in runs if r.get(f) is not None]
        s[f] = statistics.median(values) if values else None
    return s


# ---------------------------------------------------------------- formatting

def ratio(a, b):
    return a / b if a is not None and b else None


def fx(r):
    return f"{r:.2f}x" if r is not None else "n/a"


def fnum(v, digits=0):
    if v is None:
        return "n/a"
    return f"{v:,.{digits}f}"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def wrk_table(data, contenders, refs, unit, cpu_ref, response_bytes=None):
    """refs: [(column title, contender)], ratios of req/s to each; cpu_ref: contender for the CPU ratio;
    response_bytes: adds a MB/s column (MB = 10^6 bytes of body). A contender without a run says "not run", one whose
    every round failed says "failed", and so does each failed round."""
    mbps = ["MB/s"] if response_bytes else []
    header = ["contender", unit] + mbps + [t for t, _ in refs] + ["p50 ms", "p99 ms", "proxy CPU s / 10k", f"CPU vs {LABEL[cpu_ref]}", f"{unit} per round"]
    rows = []
    for c in contenders:
        d = data.get(c)
        if not d:
            rows.append([LABEL[c]] + ["not run"] * (len(header) - 1))
            continue
        cpu_ref_value = data.get(cpu_ref, {}).get("cpu_per_10k")
        rows.append([
            LABEL[c],
            fnum(d["rps"]) if d["rps"] is not None else "failed",
            *([fnum(d["rps"] * response_bytes / 1e6, 1) if d["rps"] is not None else "failed"] if response_bytes else []),
            *[fx(ratio(d["rps"], data.get(ref, {}).get("rps"))) for _, ref in refs],
            fnum(d["p50"], 2),
            fnum(d["p99"], 2),
            fnum(d["cpu_per_10k"], 3) if d["cpu_per_10k"] is not None else "-",
            fx(ratio(d["cpu_per_10k"], cpu_ref_value)) if d["cpu_per_10k"] is not None else "-",
            " / ".join(fnum(r["rps"]) if r["rps"] is not None else "failed" for r in d["rounds"]),
        ])
    return table(header, rows)


def verdict_rows(checks):
    rows = []
    for name, value, op, goal in checks:
        if value is None:
            verdict = "no figure"
        else:
            verdict = "met" if (value >= goal if op == ">=" else value <= goal) else "missed"
        rows.append([name, fx(value), f"{op} {goal:.2f}x", verdict])
    return table(["target", "measured", "goal", "verdict"], rows)


def added_targets(full, close):
    """The issue's targets for new L7 TLS connections: full handshakes, and resumed ones (wrk's Connection: close)."""
    def get(d, c, f):
        return d.get(c, {}).get(f)

    return verdict_rows([
        ("L7 new TLS connections, full handshakes, Gateway / nginx", ratio(get(full, "gateway-l7", "rps"), get(full, "nginx-l7", "rps")), ">=", 0.7),
        ("L7 new TLS connections, full handshakes, Gateway / HAProxy -> nginx", ratio(get(full, "gateway-l7", "rps"), get(full, "haproxy-nginx", "rps")), ">=", 1.0),
        ("L7 new TLS connections, full handshakes, p99 Gateway / nginx", ratio(get(full, "gateway-l7", "p99"), get(full, "nginx-l7", "p99")), "<=", 1.5),
        ("L7 new TLS connections, resumed, Gateway / nginx", ratio(get(close, "gateway-l7", "rps"), get(close, "nginx-l7", "rps")), ">=", 1.0),
    ])


def handshake_table(full, mixed, close, resumption, mix_full):
    """Full, mixed and resumed new connections side by side, with the share of handshakes the servers resumed."""
    def share(v):
        return f"{v:.0%}" if v is not None else "n/a"

    def check(c):
        counted = resumption.get(c)
        return f"{counted[1]:,} of {counted[0]:,}" if counted else "n/a"

    rows = []
    for c in L7:
        f, m, r = full.get(c, {}), mixed.get(c, {}), close.get(c, {})

        def cell(d):
            if not d:
                return "not run"
            return fnum(d["rps"]) if d["rps"] is not None else "failed"
        rows.append([LABEL[c], cell(f), cell(m), cell(r), fx(ratio(r.get("rps"), f.get("rps"))),
                     share(f.get("resumed_share")), share(m.get("resumed_share")), check(c)])
    return table(["contender", "full conn/s", f"mixed ({mix_full} full) conn/s", "resumed conn/s (table above)",
                  "resumed / full", "resumed in full runs", "resumed in mixed runs", "plain wrk resumed (1 s check)"], rows)


def targets(ka, dl, idle):
    def get(d, c, f):
        return d.get(c, {}).get(f)

    checks = [
        ("L4 keep-alive req/s, Gateway / HAProxy", ratio(get(ka["l4"], "gateway-l4", "rps"), get(ka["l4"], "haproxy-l4", "rps")), ">=", 1.0),
        ("L4 proxy CPU per request, Gateway / HAProxy", ratio(get(ka["l4"], "gateway-l4", "cpu_per_10k"), get(ka["l4"], "haproxy-l4", "cpu_per_10k")), "<=", 1.25),
        ("L7 keep-alive req/s, Gateway / nginx", ratio(get(ka["l7"], "gateway-l7", "rps"), get(ka["l7"], "nginx-l7", "rps")), ">=", 1.0),
        ("L7 keep-alive p99, Gateway / nginx", ratio(get(ka["l7"], "gateway-l7", "p99"), get(ka["l7"], "nginx-l7", "p99")), "<=", 1.0),
        ("L7 keep-alive req/s, Gateway / HAProxy -> nginx", ratio(get(ka["l7"], "gateway-l7", "rps"), get(ka["l7"], "haproxy-nginx", "rps")), ">=", 1.6),
        ("Large download MB/s through L4, Gateway / HAProxy", ratio(get(dl, "gateway-l4", "mbps"), get(dl, "haproxy-l4", "mbps")), ">=", 0.9),
        ("Memory per idle tunnel, Gateway / HAProxy", ratio(get(idle, "gateway-l4", "kb"), get(idle, "haproxy-l4", "kb")), "<=", 2.0),
        ("L7 keep-alive req/s, Gateway access log on / off", ratio(get(ka["l7"], "gateway-l7-log", "rps"), get(ka["l7"], "gateway-l7", "rps")), ">=", 0.95),
    ]
    return verdict_rows(checks)


def machine():
    def run(*cmd):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
            return (p.stdout + p.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "n/a"

    model = "n/a"
    with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    os_name = "n/a"
    if os.path.exists("/etc/os-release"):
        m = re.search(r'^PRETTY_NAME="?([^"\n]*)', read("/etc/os-release"), re.M)
        os_name = m.group(1) if m else os_name
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", read("/proc/meminfo")).group(1))
    return [
        ("CPUs (nproc)", str(os.cpu_count())),
        ("CPU model", model),
        ("memory", f"{mem_kb / 1024 / 1024:.1f} GiB"),
        ("OS / kernel", f"{os_name} / {platform.release()}"),
        ("dotnet --version", run("dotnet", "--version")),
        ("haproxy -v", run("haproxy", "-v")),
        ("nginx -v", run("nginx", "-v")),
        ("wrk", run("wrk", "--version")),
        ("h2load", run("h2load", "--version")),
        ("curl", run("curl", "--version")),
    ]


# ---------------------------------------------------------------- main

def main():
    raw, out_path = sys.argv[1], sys.argv[2]
    params = dict(line.split("=", 1) for line in read(os.path.join(raw, "params.env")).splitlines() if "=" in line)
    problems = []
    warnings_path = os.path.join(raw, "warnings.txt")
    if os.path.exists(warnings_path):
        problems += [w for w in read(warnings_path).splitlines() if w.strip()]

    retries_path = os.path.join(raw, "retries.txt")
    retries = [r for r in read(retries_path).splitlines() if r.strip()] if os.path.exists(retries_path) else []
    keepalive = load_wrk(raw, "keepalive", seconds(params.get("KEEPALIVE")), problems)
    close = load_wrk(raw, "close", seconds(params.get("CLOSE")), problems)
    ka = {"l4": keepalive, "l7": keepalive}
    downloads = load_downloads(raw, problems, int(params.get("BIG_BYTES", "0")))
    idle = load_idle(raw, problems)
    full = load_wrk(raw, "full", seconds(params.get("HANDSHAKES")), problems)
    mixed = load_wrk(raw, "mixed", seconds(params.get("HANDSHAKES")), problems)
    resumption = load_resumption(raw)
    bodies = {b: load_wrk(raw, f"body-{b}", seconds(params.get("BODIES")), problems) for b in ("10k", "1m")}
    h2 = {w: load_wrk(raw, w, seconds(params.get("H2")), problems, ext="h2load") for w in ("h2", "h2-10k")}
    body_bytes = {b: int(params.get(f"BODY_{b.upper()}_BYTES", "0")) or None for b in ("10k", "1m")}
    h2_cmd = (f"h2load -t{params.get('H2_THREADS', '?')} -c{params.get('H2_CLIENTS', '?')} -m{params.get('H2_STREAMS', '?')} "
              f"-D{seconds(params.get('H2')) or '?'}")

    c, d = params.get("CONNECTIONS", "?"), params.get("KEEPALIVE", "?")
    md = [
        "# Gateway benchmark: latest run",
        "",
        f"Date: {params.get('DATE', time.strftime('%Y-%m-%d %H:%M:%S %Z'))}. Total runtime: {params.get('RUNTIME', '?')} s. "
        f"Every figure is the median of {params.get('ROUNDS', '?')} rounds, contenders alternated within each round. "
        "Written by `bench/run.sh`; see `docs/benchmarks.md` for what each workload means. "
        f"{params.get('OTHER_CPU', '')}.",
        "",
        "## Targets",
        "",
        targets(ka, downloads, idle),
        "",
        "## Targets of the added workloads",
        "",
        added_targets(full, close),
        "",
        f"## L4 passthrough, keep-alive (`wrk -t2 -c{c} -d{d} --latency`, body `exchange-ok`)",
        "",
        wrk_table(keepalive, L4, [("vs direct", "direct"), ("vs HAProxy", "haproxy-l4")], "req/s", "haproxy-l4"),
        "",
        f"## L7 termination + proxy, keep-alive (`wrk -t2 -c{c} -d{d} --latency`, body `app-ok`)",
        "",
        wrk_table(keepalive, L7, [("vs nginx", "nginx-l7"), ("vs HAProxy -> nginx", "haproxy-nginx")], "req/s", "nginx-l7"),
        "",
        f"## What the access log costs: L7 keep-alive with it on (`Combined`, to a file) and off",
        "",
        wrk_table(keepalive, ["gateway-l7", "gateway-l7-log"], [("vs log off", "gateway-l7"), ("vs nginx", "nginx-l7")], "req/s", "gateway-l7"),
        "",
        f"## New TLS connections, L4 (`wrk -t2 -c{c} -d{params.get('CLOSE', '?')} -H 'Connection: close'`: one new connection per request, resumed where the server allows)",
        "",
        wrk_table(close, L4, [("vs direct", "direct"), ("vs HAProxy", "haproxy-l4")], "conn/s", "haproxy-l4"),
        "",
        f"## New TLS connections, L7 (`wrk -t2 -c{c} -d{params.get('CLOSE', '?')} -H 'Connection: close'`: resumed, see below)",
        "",
        wrk_table(close, L7, [("vs nginx", "nginx-l7"), ("vs HAProxy -> nginx", "haproxy-nginx")], "conn/s", "nginx-l7"),
        "",
        f"## One large download through L4 (`curl` of {int(params.get('BIG_BYTES', '0')) // 2**20} MiB of {params.get('BIG_KIND', '?')}; MB = 10^6 bytes)",
        "",
        table(["contender", "MB/s", "vs direct", "vs HAProxy", "MB/s per round"], [
            [LABEL[x], fnum(downloads.get(x, {}).get("mbps"), 1),
             fx(ratio(downloads.get(x, {}).get("mbps"), downloads.get("direct", {}).get("mbps"))),
             fx(ratio(downloads.get(x, {}).get("mbps"), downloads.get("haproxy-l4", {}).get("mbps"))),
             " / ".join(fnum(r["mbps"], 1) for r in downloads.get(x, {}).get("rounds", []))]
            for x in L4]),
        "",
        f"## Memory per idle passthrough tunnel ({params.get('TUNNELS', '?')} TLS connections held open; VmRSS of the proxy)",
        "",
        table(["contender", "KiB per tunnel", "vs HAProxy", "RSS before MiB", "RSS with tunnels MiB", "KiB per round"], [
            [LABEL[x], fnum(idle.get(x, {}).get("kb"), 2),
             fx(ratio(idle.get(x, {}).get("kb"), idle.get("haproxy-l4", {}).get("kb"))),
             fnum((idle.get(x, {}).get("rss_before_kb") or 0) / 1024, 1) if x in idle else "n/a",
             fnum((idle.get(x, {}).get("rss_after_kb") or 0) / 1024, 1) if x in idle else "n/a",
             " / ".join(fnum(r["kb"], 2) for r in idle.get(x, {}).get("rounds", []))]
            for x in ["haproxy-l4", "gateway-l4"]]),
        "",
        f"## New TLS connections, L7: full handshakes (`wrk -t2 -c{c} -d{params.get('HANDSHAKES', '?')} --latency -H 'Connection: close'` with `tls_session_shim.so` preloaded and `TLS_FULL_SHARE=1`)",
        "",
        wrk_table(full, L7, L7_REFS, "conn/s", "nginx-l7"),
        "",
        f"## New TLS connections, L7: mixed (the same with `TLS_FULL_SHARE={params.get('MIX_FULL', '?')}`: that share of the handshakes full, the rest resumed)",
        "",
        wrk_table(mixed, L7, L7_REFS, "conn/s", "nginx-l7"),
        "",
        "## New TLS connections, L7: full, mixed and resumed side by side",
        "",
        "wrk keeps each connection's TLS session across its reconnects, so its plain `Connection: close` runs (the L7 "
        "table above) resume wherever the server allows: they are the resumed figures. The shares below are the "
        "handshakes the server resumed, as the shim counted them; the last column is a 1 s plain-wrk run per contender "
        "with the shim counting and dropping nothing.",
        "",
        handshake_table(full, mixed, close, resumption, params.get("MIX_FULL", "?")),
        "",
        f"## L7 keep-alive, 10 KiB responses (`wrk -t2 -c{c} -d{params.get('BODIES', '?')} --latency`, `/big.10k`: {fnum(body_bytes['10k'])} random bytes)",
        "",
        wrk_table(bodies["10k"], L7, L7_REFS, "req/s", "nginx-l7", body_bytes["10k"]),
        "",
        f"## L7 keep-alive, 1 MiB responses (`wrk -t2 -c{c} -d{params.get('BODIES', '?')} --latency`, `/big.1m`: {fnum(body_bytes['1m'])} random bytes)",
        "",
        wrk_table(bodies["1m"], L7, L7_REFS, "req/s", "nginx-l7", body_bytes["1m"]),
        "",
        f"## L7 HTTP/2 over TLS, body `app-ok` (`{h2_cmd}`: {params.get('H2_CLIENTS', '?')} connections, {params.get('H2_STREAMS', '?')} streams in flight on each)",
        "",
        "nginx here is the L7 anchor with `http2` on its listener (8445), and HAProxy -> nginx the L4 anchor in front of "
        "it (8446); Gateway is the same process as above, which offers h2 by ALPN. Latencies are per request, from "
        "h2load's request log.",
        "",
        wrk_table(h2["h2"], H2, H2_REFS, "req/s", "nginx-l7-h2"),
        "",
        f"## L7 HTTP/2 over TLS, 10 KiB responses (`{h2_cmd}`, `/big.10k`)",
        "",
        wrk_table(h2["h2-10k"], H2, H2_REFS, "req/s", "nginx-l7-h2", body_bytes["10k"]),
        "",
        "## Problems seen during the run",
        "",
        "\n".join(f"- {p}" for p in problems) if problems else "None: every wrk run had only 2xx responses and no socket errors, every download was complete, every tunnel stayed open.",
        "",
        "## Measurements taken again",
        "",
        ("Other processes disturbed these wrk runs; each was measured once more after waiting (within the retry "
         "budget) for a quiet second. The tables hold the second measurement, which the list above flags again if it "
         "was disturbed too:\n\n" + "\n".join(f"- {r}" for r in retries)) if retries else "None.",
        "",
        "## Machine and parameters",
        "",
        table(["", ""], [[k, f"`{v}`"] for k, v in machine()] + [[k, f"`{v}`"] for k, v in sorted(params.items()) if k not in ("DATE", "RUNTIME", "OTHER_CPU")]),
        "",
    ]
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(md))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
