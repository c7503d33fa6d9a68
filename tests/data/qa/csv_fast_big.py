#!/usr/bin/env python3
"""Big exports (several 2 MiB blocks per part) with a change next to a block end or the cut
between parts, through two binaries; see csv_fast_diff.py.
usage: csv_fast_big.py OLD NEW BASE_DIR(with gmv_daily.csv) WORK FIRST COUNT"""
import os, random, shutil, subprocess, sys

MIB = 1 << 20


def case(seed, base_rows, header):
    r = random.Random(seed)
    rows = list(base_rows)
    threads = r.choice(["2", "2", "3", "4"])
    size = sum(len(x) + 1 for x in rows)
    parts = int(threads)
    marks = [len(header) + 1 + 2 * MIB] + [size * k // parts for k in range(1, parts)]
    marks += [size * k // parts + 2 * MIB for k in range(1, parts)]
    # row index at each byte mark
    offs, acc = [], len(header) + 1
    for x in rows:
        offs.append(acc)
        acc += len(x) + 1
    import bisect
    for _ in range(r.choice([1, 1, 2, 3])):
        m = r.choice(marks) + r.randint(-300, 300)
        i = max(0, min(len(rows) - 1, bisect.bisect_left(offs, m) - 1))
        k = r.randrange(10)
        cells = rows[i].split(b",")
        if k == 0:  # duplicate of a far row next to the mark
            rows.insert(i, rows[r.randrange(len(rows))])
        elif k == 1:  # duplicate of the neighbour
            rows.insert(i + 1, rows[i])
        elif k == 2:
            cells[3] = r.choice([b"1.2.3", b"", b"+1.00", b"1e3", b"12.345"])
            rows[i] = b",".join(cells)
        elif k == 3:  # a line break inside quotes
            cells[2] = b'"' + cells[2] + b"\n" + cells[2] + b'"'
            rows[i] = b",".join(cells)
        elif k == 4:  # a long line
            rows[i] = rows[i] + b"," + b" " * r.choice([65000, 65600, 70000, 1100000, 2200000])
        elif k == 5:  # a stray CR
            cells[1] = cells[1] + b"\r"
            rows[i] = b",".join(cells)
        elif k == 6:  # blank lines
            rows.insert(i, b"" if r.random() < 0.5 else b"\n" * r.choice([10, 70000, 1100000]))
        elif k == 7:  # quoted cells (valid)
            rows[i] = b",".join(b'"' + c + b'"' for c in cells)
        elif k == 8:  # a new key's non-UTF-8 seller
            cells[2] = cells[2] + b"\xe9"
            rows[i] = b",".join(cells)
        else:  # the same row twice far apart: dup straddling parts
            j = r.randrange(len(rows))
            rows.insert(j, rows[i])
    data = header + b"\n" + b"\n".join(rows) + (b"\n" if r.random() < 0.8 else b"")
    return data, threads


def main():
    old, new, base, work, first, count = sys.argv[1:7]
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(base, "gmv_daily.csv"), "rb") as fh:
        lines = fh.read().split(b"\n")
    header, base_rows = lines[0], [x for x in lines[1:] if x]
    bad = 0
    for seed in range(int(first), int(first) + int(count)):
        data, threads = case(seed, base_rows, header)
        d = os.path.join(work, "c")
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(base, d)
        with open(os.path.join(d, "gmv_daily.csv"), "wb") as fh:
            fh.write(data)
        env = dict(os.environ, TSP_PAYOUT_THREADS=threads)
        res = []
        for b in (old, new):
            p = subprocess.run([b, "calc", d, "--allow-gaps", "--format", "csv"], capture_output=True, env=env)
            q = subprocess.run([b, "calc", d, "--allow-gaps", "--format", "csv", "--skip-invalid", "--max-rejects", "100%"], capture_output=True, env=env)
            res.append((p.returncode, p.stdout, p.stderr, q.returncode, q.stdout, q.stderr))
        if res[0] != res[1]:
            bad += 1
            keep = os.path.join(work, "diff-%d" % seed)
            shutil.rmtree(keep, ignore_errors=True)
            os.rename(d, keep)
            print("seed %d differs (threads %s)" % (seed, threads), flush=True)
        else:
            print("seed %d ok exit %d/%d" % (seed, res[0][0], res[0][3]), flush=True)
    print("done %s cases, %d differ" % (count, bad), flush=True)


main()
