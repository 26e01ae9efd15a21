#!/usr/bin/env python3
"""latency.py N CMD...: write N leads one at a time into the shell pipeline
CMD (read from standard input: one lead per line), wait for each lead to come
out before sending the next, and print the median and 99th percentile of the
time from write to read, in milliseconds."""
import io
import subprocess
import sys
import time


def main():
    n = int(sys.argv[1])
    cmd = sys.argv[2]
    leads = [l for l in sys.stdin.read().split("\n") if l.strip()]
    p = subprocess.Popen(cmd, shell=True, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, bufsize=0)
    # a buffered reader: readline() on the raw pipe would read one byte
    # per system call and charge the tool for the harness's cost
    out = io.open(p.stdout.fileno(), "rb", buffering=1 << 16, closefd=False)
    times = []
    for i in range(n):
        line = leads[i % len(leads)].encode() + b"\n"
        t0 = time.perf_counter()
        p.stdin.write(line)
        got = out.readline()
        t1 = time.perf_counter()
        if not got:
            sys.exit("latency: the pipeline ended early")
        times.append((t1 - t0) * 1000)
    p.stdin.close()
    p.wait()
    times.sort()
    med = times[len(times) // 2]
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print("latency over %d leads sent one at a time: median %.2f ms, p99 %.2f ms, max %.2f ms"
          % (n, med, p99, times[-1]))


if __name__ == "__main__":
    main()
