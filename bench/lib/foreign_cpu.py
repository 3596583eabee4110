#!/usr/bin/env python3
"""CPU clock ticks used so far by every user process outside ROOT_PID's subtree (utime+stime of all threads, plus
cutime+cstime: what its reaped children used, so a process that exits meanwhile still counts through its parent).

run.sh calls it before and after each measurement with its own pid: the difference is the CPU that other work on the
machine (another build, a test run) took while the benchmark was measuring, which makes figures noisy. Kernel threads
are left out (they mostly move this benchmark's own loopback traffic).

usage: foreign_cpu.py ROOT_PID                  the ticks so far
       foreign_cpu.py ROOT_PID --share SECONDS  the % of the machine's CPU they took over the next SECONDS
"""
import os
import sys
import time


def processes():
    """{pid: (ppid, ticks)} of every process still readable."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # fields[0] is field 3 (state)
        out[int(name)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))  # utime stime cutime cstime
    return out


def subtree(procs, roots):
    children = {}
    for pid, (ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    seen, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.add(pid)
            todo.extend(children.get(pid, []))
    return seen


def foreign_ticks(root):
    procs = processes()
    excluded = subtree(procs, [root, 2])  # ours, and kthreadd's kernel threads
    return sum(ticks for pid, (_, ticks) in procs.items() if pid not in excluded)


def main():
    root = int(sys.argv[1])
    if len(sys.argv) == 4 and sys.argv[2] == "--share":
        t0, before = time.monotonic(), foreign_ticks(root)
        time.sleep(float(sys.argv[3]))
        ticks, elapsed = foreign_ticks(root) - before, time.monotonic() - t0
        print(round(100 * ticks / os.sysconf("SC_CLK_TCK") / elapsed / (os.cpu_count() or 1)))
    else:
        print(foreign_ticks(root))


if __name__ == "__main__":
    main()
