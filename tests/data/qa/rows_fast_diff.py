#!/usr/bin/env python3
"""Differential check of usual gmv_daily rows read from separator masks: edits of the
sample export on that reading's edges (lines of 61 to 66 and 126 to 130 bytes, odd dates and
amounts, blanks, quotes, CRLF, trailing cells, reordered headers), run as `calc --allow-gaps
--out` with and without --skip-invalid through OLD at 2 threads and NEW at 1, 2, 3 and 7.
Exit code, stdout, stderr and every written byte must match.

usage: rows_fast_diff.py OLD NEW WORK_DIR FIRST_SEED COUNT
Differing cases are kept in WORK_DIR/diff-SEED with a DIFF.txt."""
import os, random, shutil, subprocess, sys
from multiprocessing import Pool

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures", "q4-sample")
HEADER = "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv"
with open(os.path.join(FIX, "gmv_daily.csv"), "rb") as fh:
    ROWS = [x.decode().split(",") for x in fh.read().split(b"\n")[1:-1]]

def cents(s):
    i, c = s.split(".")
    return int(i) * 100 + int(c)

def spell(r, c, quoted):
    i, f = divmod(c, 100)
    k = r.randrange(12)
    if k == 0 and f == 0: return "%d" % i
    if k == 1 and f % 10 == 0: return "%d.%d" % (i, f // 10)
    if k == 2: return "$%d.%02d" % (i, f)
    if k == 3: return "0" * r.randint(1, 10) + "%d.%02d" % (i, f)
    if k == 4 and quoted: return "{:,}".format(i) + ".%02d" % f
    if k == 5 and i == 0: return ".%02d" % f
    if k == 6: return "%d.%02d0" % (i, f)
    return "%d.%02d" % (i, f)

ODD_DATES = ["2025-1-010", "2025-10-1 ", " 2025-10-01", "2025/10/01", "2025-02-30", "+025-10-01",
             "2025-10-01\t", "\t2025-10-1", "2025-10-0\t", "2025-13-01", "2025-00-01", "2025-10-32",
             "2024-02-29", "2023-02-29", "2025-06-30", "2026-01-01", "2024-12-31", "0000-01-01",
             "9999-12-31", "2025-10-01 ", "2025-1O-01", "2025-10-01x", "2025-10-０1", "２025-10-01",
             "2025-10-01", "2025-12-31", "2025-07-01", "2025-09-30"]
BAD_AMTS = ["-0.00", "-1.00", "+1.00", "1.234", "1e3", " 1.00", "1.00 ", "\t1.00", "1.00\t",
            "99999999999999999999", "12345678901234567890.12", "99999999.99", "999999999999.99",
            "1..0", ".", "", "1,234.56", "$", "$$1.00", "0x10", "1 .00", "1. 0"]

def pad_to(r, row, target, eol):
    """Lengthen (or shorten) the seller id so the line is `target` bytes with its line break."""
    line = ",".join(row) + eol
    d = target - len(line.encode())
    if d > 0:
        row[2] = row[2] + "X" * d
    elif d < 0 and len(row[2]) + d >= 1:
        row[2] = row[2][: len(row[2]) + d]
    return row

def make(seed):
    r = random.Random(seed)
    n = r.choice([40, 200, 1000, 3000, len(ROWS)])
    start = r.randint(0, len(ROWS) - n)
    rows = [list(x) for x in ROWS[start:start + n]]
    quoted = r.random() < 0.3
    crlf = r.random() < 0.3
    eol = "\r\n" if crlf else "\n"
    rate = r.choice([0.0, 0.01, 0.05, 0.3, 1.0])
    bad = r.random() < 0.5     # allow refused edits too
    out = []
    for row in rows:
        if r.random() < rate:
            k = r.randrange(14)
            if k == 0:
                pad_to(r, row, r.choice([62, 63, 64, 65, 66, 127, 128, 129]), eol)
            elif k == 1:
                c = r.randrange(3, 7)
                row[c] = spell(r, cents(row[c]), quoted)
            elif k == 2:   # a channel equal to gmv, or one cent over
                g = cents(row[3]); c = r.randrange(4, 7)
                row[c] = "%d.%02d" % divmod(g + (1 if bad and r.random() < 0.5 else 0), 100)
            elif k == 3 and bad:
                row[0] = r.choice(ODD_DATES)
            elif k == 4 and bad:
                row[r.randrange(3, 7)] = r.choice(BAD_AMTS)
            elif k == 5:
                row[r.choice([1, 2])] = r.choice(["S 01", "S\t1", "\xff\xfeS", "Sé", " S1", "S1 ", "\tS1", "", "S\x00"]) if bad else r.choice(["S 01", "S\t1", "Sé"]) + row[2]
            elif k == 6:
                out.append(r.choice(["", "", " ", "\t", ",,,,,," if bad else "", "\r" if not crlf and bad else ""]))
            elif k == 7 and bad:
                row = row + [r.choice(["", "", " ", "x"])]
            elif k == 8 and bad:
                row = row[:-1]
            elif k == 9:   # a row far outside the span
                row[0] = r.choice(["2024-10-01", "2026-03-01", "2019-05-05", "2025-06-30", "2026-01-01"])
            elif k == 10 and quoted:
                row[2] = row[2] + r.choice([",x", ", y", ",,"])
            elif k == 11:
                row[0] = r.choice(["2025-10-%02d" % d for d in range(1, 32)] + ["2025-11-%02d" % d for d in range(1, 31)])
            elif k == 12 and bad:
                out.append(",".join(row))   # duplicate key
            elif k == 13:
                pad_to(r, row, r.choice([63, 64, 65]), eol)
                if quoted:
                    pad_to(r, row, r.choice([113, 127, 128, 129]), eol)
        if quoted:
            row = ['"%s"' % c.replace('"', '""') for c in row]
            if bad and r.random() < 0.005:
                row[r.randrange(len(row))] = r.choice(['"a"b"', '"x', 'x"', '" "', '""'])
        elif r.random() < 0.003 and bad:
            row[r.randrange(len(row))] = '"%s"' % row[0]
        out.append(",".join(row))
    header = HEADER
    if r.random() < 0.1:
        h = HEADER.split(",")
        k = r.randrange(3)
        if k == 0: h = h + ["note"]; out = [x + "," for x in out]
        elif k == 1: h[4], h[5] = h[5], h[4]
        else: h = ['"%s"' % x for x in h]
        header = ",".join(h)
    text = header + eol + eol.join(out) + (eol if r.random() < 0.85 else "")
    data = text.encode("utf-8").replace("\u00ff\u00fe".encode("utf-8"), b"\xff\xfe")
    return data

def run(b, args, threads):
    env = dict(os.environ, TSP_PAYOUT_THREADS=threads)
    p = subprocess.run([b] + args, capture_output=True, env=env, timeout=120)
    return p.returncode, p.stdout, p.stderr

def tree(d):
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            out[os.path.relpath(p, d)] = open(p, "rb").read()
    return out

def check(job):
    old, new, work, seed = job
    data = make(seed)
    d = os.path.join(work, "c-%d" % seed)
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(FIX, d)
    open(os.path.join(d, "gmv_daily.csv"), "wb").write(data)
    o = os.path.join(work, "o-%d" % seed)
    probs = []
    for args in (["calc", d, "--allow-gaps", "--out", o], ["calc", d, "--allow-gaps", "--skip-invalid", "--out", o]):
        res = []
        for b, t in ((old, "2"), (new, "1"), (new, "2"), (new, "3"), (new, "7")):
            shutil.rmtree(o, ignore_errors=True)
            rc, so, se = run(b, args, t)
            res.append(((rc, so.replace(o.encode(), b"O"), se.replace(o.encode(), b"O")), tree(o) if os.path.isdir(o) else {}, (b, t)))
        shutil.rmtree(o, ignore_errors=True)
        base = res[0]
        for x in res[1:]:
            if x[0] != base[0] or x[1] != base[1]:
                what = []
                if x[0][0] != base[0][0]: what.append("exit %d vs %d" % (base[0][0], x[0][0]))
                if x[0][1] != base[0][1]: what.append("stdout")
                if x[0][2] != base[0][2]: what.append("stderr")
                if x[1] != base[1]: what.append("files " + ",".join(sorted(k for k in set(x[1]) | set(base[1]) if x[1].get(k) != base[1].get(k))))
                probs.append("%s new@%s: %s" % (args[3:], x[2][1], "; ".join(what)))
    if probs:
        keep = os.path.join(work, "diff-%d" % seed)
        shutil.rmtree(keep, ignore_errors=True)
        os.rename(d, keep)
        open(os.path.join(keep, "DIFF.txt"), "w").write("\n".join(probs))
    else:
        shutil.rmtree(d, ignore_errors=True)
    return seed, probs

if __name__ == "__main__":
    old, new, work, first, count = sys.argv[1:6]
    os.makedirs(work, exist_ok=True)
    bad = 0
    with Pool(2) as pool:
        for seed, probs in pool.imap_unordered(check, [(old, new, work, s) for s in range(int(first), int(first) + int(count))]):
            if probs:
                bad += 1
                print("seed", seed, probs[:3], flush=True)
    print("done", count, "differ", bad, flush=True)
