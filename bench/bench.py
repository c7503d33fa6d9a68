#!/usr/bin/env python3
"""Benchmarks `tsp-payout calc` on synthetic exports against DuckDB and the csv-crate floor.

Usage: bench/run [ROWS_MILLIONS ...]   (default: 1 3 10)

For each size it generates (seeded, cached under bench-data/) a data directory with
~2,000 partners and ~16,000 sellers, then alternates runs of:
  - calc:    tsp-payout calc DIR (the file read in parts, one per core: the default)
  - calc-1t: the same with TSP_PAYOUT_THREADS=1
  - duckdb:  a Python process computing per-partner Q3 and Q4 gmv sums with read_csv_auto
  - floor:   the csv crate's ByteRecord loop over gmv_daily.csv, doing nothing else
and prints median wall time, max RSS, MB/s and rows/s, and the calc/duckdb ratio.
"""
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "tsp-payout")
GEN = os.path.join(ROOT, "target", "release", "examples", "gen_bench_data")
FLOOR = os.path.join(ROOT, "target", "release", "examples", "csv_floor")
RUNS = int(os.environ.get("BENCH_RUNS", "5"))

DUCKDB_QUERY = """
import duckdb, sys
con = duckdb.connect()
rows = con.execute('''
  select partner_id,
    sum(case when date between DATE '2025-07-01' and DATE '2025-09-30' then gmv else 0 end) as q3,
    sum(case when date between DATE '2025-10-01' and DATE '2025-12-31' then gmv else 0 end) as q4
  from read_csv_auto(?) group by partner_id''', [sys.argv[1]]).fetchall()
print(len(rows))
"""


def timed(cmd, env=None):
    """Wall seconds and max RSS (KB) of one run, via GNU time."""
    full = ["/usr/bin/time", "-f", "%e %M"] + cmd
    start = time.perf_counter()
    p = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       env={**os.environ, **(env or {})}, text=True)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    rss = int(p.stderr.strip().splitlines()[-1].split()[1])
    return wall, rss


def main():
    sizes = [float(a) for a in sys.argv[1:]] or [1, 3, 10]
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet",
                    "--bin", "tsp-payout", "--example", "gen_bench_data",
                    "--example", "csv_floor"], cwd=ROOT, check=True)
    print(f"machine: {os.cpu_count()} cores; runs per command: {RUNS} (median)")
    print("| rows | MB | command | wall s | max RSS MB | MB/s | M rows/s |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    for m in sizes:
        rows = int(m * 1_000_000)
        data = os.path.join(ROOT, "bench-data", f"{rows}")
        csv_path = os.path.join(data, "gmv_daily.csv")
        if not os.path.exists(csv_path):
            subprocess.run([GEN, data, str(rows)], check=True)
        mb = os.path.getsize(csv_path) / 1e6
        commands = {
            # Smaller synthetic exports leave some days without rows: accepted, as the
            # timing is about reading, not about coverage.
            "calc": ([BIN, "calc", data, "--allow-gaps"], None),
            "calc-1t": ([BIN, "calc", data, "--allow-gaps"], {"TSP_PAYOUT_THREADS": "1"}),
            "duckdb": ([sys.executable, "-c", DUCKDB_QUERY, csv_path], None),
            "floor": ([FLOOR, csv_path], None),
        }
        results = {name: [] for name in commands}
        for _ in range(RUNS):  # alternate, so load changes hit every command alike
            for name, (cmd, env) in commands.items():
                results[name].append(timed(cmd, env))
        medians = {}
        for name, runs in results.items():
            wall = statistics.median(r[0] for r in runs)
            rss = max(r[1] for r in runs) / 1024
            medians[name] = wall
            print(f"| {rows:,} | {mb:.0f} | {name} | {wall:.2f} | {rss:.0f} | "
                  f"{mb / wall:.0f} | {rows / wall / 1e6:.2f} |")
        print(f"| {rows:,} | | calc / duckdb | {medians['calc'] / medians['duckdb']:.2f} | | | |")
        print(f"| {rows:,} | | calc / floor | {medians['calc'] / medians['floor']:.2f} | | | |")


if __name__ == "__main__":
    main()
