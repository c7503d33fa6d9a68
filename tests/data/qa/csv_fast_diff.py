#!/usr/bin/env python3
"""Differential check of the gmv_daily.csv reading: adversarial exports run through two
binaries (`calc --allow-gaps` as csv, json, and `--skip-invalid --out`), whose stdout,
stderr, exit code and written files must match byte for byte.

usage: csv_fast_diff.py OLD NEW BASE_DIR WORK_DIR FIRST_SEED COUNT [JOBS]
Each case is reproducible from its seed; differing cases are kept in WORK_DIR/diff-SEED.
"""
import datetime as dt
import os
import re
import random
import shutil
import subprocess
import sys
from multiprocessing import Pool

BOOK_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "book", "q4-2025.toml")
HEADER = "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv"
PARTNERS = ["P%02d" % i for i in range(1, 13)]
MONTH_DAYS = {1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


def good_date(r):
    m = r.choice([7, 8, 9, 10, 11, 12])
    if r.random() < 0.5:
        d = r.choice([1, 2, MONTH_DAYS[m] - 1, MONTH_DAYS[m]])
    else:
        d = r.randint(1, MONTH_DAYS[m])
    return "2025-%02d-%02d" % (m, d)


def odd_date(r):
    k = r.randrange(16)
    if k == 0:
        return r.choice(["2024-02-29", "2025-02-29", "2000-02-29", "1900-02-29", "2100-02-29"])
    if k == 1:
        m = r.randint(1, 12)
        return "2025-%02d-%02d" % (m, MONTH_DAYS[m] + r.choice([1, 2]))
    if k == 2:
        return r.choice(["2025-00-10", "2025-13-01", "2025-07-00", "2025-07-32", "2025-99-99"])
    if k == 3:
        return r.choice(["0000-01-01", "9999-12-31", "0001-03-01", "1999-12-31", "2026-01-01",
                         "2025-06-30", "2024-12-31", "2025-01-01", "2030-07-01", "0400-02-29"])
    if k == 4:
        d = list(good_date(r))
        i = r.choice([0, 1, 2, 3, 5, 6, 8, 9])
        d[i] = r.choice("/:a ;.`@\x7f\xc3")
        return "".join(d)
    if k == 5:
        return r.choice(["2025-7-01", "2025-07-1", "25-07-01", "2025-07-011", "02025-07-01",
                         "2025/07/01", "20250701", "2025-07-01T00:00", " 2025-07-01",
                         "2025-07-01 ", "", "2025-07-0", "2025--07-01"])
    if k == 6:
        m = r.randint(1, 12)
        return "%04d-%02d-%02d" % (r.choice([2025, 2024, 2023, 2026]), m, r.randint(1, MONTH_DAYS[m]))
    if k == 7:
        # digits just past '9' or before '0' in each position
        d = list(good_date(r))
        i = r.choice([0, 1, 2, 3, 5, 6, 8, 9])
        d[i] = r.choice([":", "/"])
        return "".join(d)
    if k == 8:
        return '"%s"' % good_date(r)
    if k == 9:
        return "2025-%02d-%02d" % (r.choice([2, 4, 6, 9, 11]), 31)
    if k == 10:
        return "%04d-02-29" % r.choice([2024, 2028, 2025, 2026, 1600, 1700, 2400])
    if k == 11:
        return "2025-０7-01"
    return good_date(r)


def digits(r, n):
    return "".join(r.choice("0123456789") for _ in range(n))


def valid_amounts(r, tricky):
    """gmv then three parts, none above gmv, in spellings a careful reader accepts."""
    ints = r.choice([0, 1, 2, 3, 4, 5, 5, 5, 6, 7, 8, 8, 9]) if tricky else r.randint(1, 6)
    cents = int(digits(r, ints) or "0") * 100 + r.randint(0, 99)
    if r.random() < 0.05:
        cents = r.choice([0, 1, 99, 100, 9999999, 10000000, 99999999, 100000000, 9999999999, 99999999999])
    subs = [r.randint(0, cents) if r.random() < 0.8 else r.choice([0, cents]) for _ in range(3)]
    return [spell(r, c, tricky) for c in [cents] + subs]


def spell(r, cents, tricky):
    i, c = divmod(cents, 100)
    if not tricky:
        return "%d.%02d" % (i, c)
    k = r.randrange(10)
    if k == 0 and c == 0:
        s = "%d" % i
    elif k == 1 and c % 10 == 0:
        s = "%d.%d" % (i, c // 10)
    elif k == 5:
        return '"$' + "{:,}".format(i) + ".%02d" % c + '"'
    elif k == 6:
        return '"' + "{:,}".format(i) + ".%02d" % c + '"'
    elif k == 7:
        return "$%d.%02d" % (i, c)
    else:
        s = "%d.%02d" % (i, c)
    if r.random() < 0.1:
        s = "0" * r.randint(1, 8) + s
    return s


def bad_amount(r):
    return r.choice([
        "", "+12.50", "-12.50", " 12.50", "12.50 ", "$12.50", "1,234.50", "1e3", "1E+2",
        "12.5.0", ".", "-0", "-0.00", "+0", "0.", ".5", "00000000.00", "99999999.99",
        "123456789.12", "1 234", "12,50", "\t1.00", "1.2345", "12.001", "1.230", ".00", "0.000", "0x10", "１2.00",
        "12.50\"", "1.5e", "NaN", "inf", "12.-5", "--1", "1-", "99999999999999999999.99",
    ])


def ident(r, prefix, tricky):
    if not tricky or r.random() < 0.7:
        return prefix
    k = r.randrange(12)
    if k == 0:
        return prefix + "X" * r.randint(1, 100)
    if k == 1:
        return "S" * r.randint(1, 100)
    if k == 2:
        return "A" * 40 + chr(r.randint(33, 126)).replace('"', "q").replace(",", "c")
    if k == 3:
        return '"%s"' % (prefix + r.choice([",x", ", y", "", '""q', ",,", "\nx", "\r\nx", "\r", '""', '"",""']))
    if k == 4:
        return prefix + r.choice(["é", "ß", "日本", "\u200b", "🙂"])
    if k == 5:
        return prefix + r.choice([" ", "  ", "\t"]) if r.random() < 0.5 else " " + prefix
    if k == 6:
        return prefix.lower()
    if k == 7:
        return ""
    if k == 8:
        return b"\xff\xfe".decode("latin-1") + prefix  # becomes non-UTF-8 on write (marker)
    if k == 9:
        return r.choice(['"%s"', ' "%s"', '"%s" ', '%s"x"', '"%s"x', '"%s', '%s"', '""%s""', '"%s""', '"%s"""']) % prefix
    if k == 10:
        return prefix + "\x00"
    return prefix[:-1] + chr(ord(prefix[-1]) ^ 1) if prefix else "Z"


def seller_of(r, p, pool):
    if pool and r.random() < 0.8:
        return r.choice(pool)
    return "S%s%02d" % (p[1:], r.randint(1, 40))


SCENARIO = """
name = "qa"
[[adjust]]
partner = "P01"
from = 2025-10-01
to = 2025-12-31
factor = "1.37"
[[adjust]]
channels = ["live_gmv"]
factor = "0.5"
"""

FIXTURE_ROWS = None


def mutate_fixture(r, base):
    """The sample export (valid, read by the fast path) cut to a random length, with a few
    single-cell or single-line changes at random rows."""
    global FIXTURE_ROWS
    if FIXTURE_ROWS is None:
        with open(os.path.join(base, "gmv_daily.csv"), "rb") as fh:
            FIXTURE_ROWS = fh.read().split(b"\n")[1:-1]
    n = r.randint(1, len(FIXTURE_ROWS))
    start = r.randint(0, len(FIXTURE_ROWS) - n)
    rows = [x.decode().split(",") for x in FIXTURE_ROWS[start:start + n]]
    for _ in range(r.choice([0, 0, 1, 1, 1, 2, 3])):
        i = r.randrange(len(rows))
        row = rows[i]
        k = r.randrange(9)
        if k == 0:
            row[0] = odd_date(r)
        elif k == 1:
            row[r.randrange(3, 7)] = bad_amount(r)
        elif k == 2:
            c = r.randrange(3, 7)
            try:
                cents = round(float(row[c]) * 100)
                row[c] = spell(r, cents, True)
            except ValueError:
                pass
        elif k == 3:
            row[r.choice([1, 2])] = ident(r, row[2], True)
        elif k == 4:
            rows.insert(r.randrange(len(rows) + 1), list(rows[r.randrange(len(rows))]))
        elif k == 5:
            row[r.randrange(7)] = '"%s"' % row[r.randrange(7)]
        elif k == 6:
            rows[i] = row + [""]
        elif k == 7:
            row[2] = row[2] + "X" * r.randint(1, 90)
        else:
            row[3] = "%d.%02d" % (r.randint(0, 99999999), r.randint(0, 99))
    header = HEADER.split(",")
    if r.random() < 0.4:
        # columns in another order, and extra columns the reading must skip
        order = list(range(7))
        r.shuffle(order)
        extra = r.choice([0, 1, 1, 2])
        header = [header[i] for i in order]
        rows = [[x[i] if i < len(x) else "" for i in order] + x[7:] for x in rows]
        for e in range(extra):
            at = r.randint(0, len(header))
            header.insert(at, "note%d" % e)
            for x in rows:
                x.insert(min(at, len(x)), r.choice(["", "x", '"a,b"', " ", "9" * r.randint(1, 30), '"q""q"']))
    nl = "\r\n" if r.random() < 0.2 else "\n"
    text = ",".join(header) + nl + nl.join(",".join(x) for x in rows) + (nl if r.random() < 0.8 else "")
    data = text.encode("utf-8").replace("\u00ff\u00fe".encode("utf-8"), b"\xff\xfe")
    return data, r.choice(["2", "2", "3", "4"])


def make_case(seed, base=None):
    r = random.Random(seed)
    if base is not None and seed % 2 == 1:
        return mutate_fixture(r, base)
    shape = r.randrange(6)
    nrows = r.choice([0, 1, 2, 63, 64, 65, 127, 128, 129, 130, 200, 500, 1000, 3000, r.randint(1, 400)])
    tricky = r.random() < 0.75
    bad_rate = r.choice([0.0, 0.0, 0.0, 0.0, 0.0, 0.001, 0.003, 0.01, 0.05, 0.3]) if tricky else 0.0
    quote_all = r.random() < 0.2
    quote_some = r.random() < 0.2
    crlf = r.random() < 0.2
    npart = r.choice([1, 2, 3, 12])
    parts = r.sample(PARTNERS, npart)
    pools = {p: ["S%s%02d" % (p[1:], i) for i in range(1, r.choice([2, 5, 30, 200]))] for p in parts}
    rows = []
    used = []
    taken = set()
    for n in range(nrows):
        for _ in range(20):
            p = r.choice(parts)
            sid = seller_of(r, p, pools.get(p))
            date = good_date(r)
            if shape == 1 and used and r.random() < 0.9:
                # runs: the previous seller on another day
                _, p, sid = used[-1]
            if (date, p, sid) not in taken:
                break
        taken.add((date, p, sid))
        if tricky and r.random() < 0.02:
            p = r.choice(["P13", "P1", "p01", "P001", "Q01", "P" + "0" * 60 + "1"])
        pid = ident(r, p, tricky and r.random() < bad_rate * 3)
        sid = ident(r, sid, tricky and r.random() < bad_rate * 3 + 0.01)
        if tricky and r.random() < bad_rate + 0.005:
            date = odd_date(r)
        if used and tricky and r.random() < bad_rate:
            # duplicate key: the same row again, nearby or far
            src = used[-1] if r.random() < 0.5 else r.choice(used)
            date, pid, sid = src
        used.append((date, pid, sid))
        amts = valid_amounts(r, tricky)
        if tricky and r.random() < bad_rate:
            amts[r.randrange(4)] = bad_amount(r)
        cells = [date, pid, sid] + amts
        if tricky and r.random() < bad_rate:
            k = r.randrange(5)
            if k == 0:
                cells = cells[:-1]
            elif k == 1:
                cells = cells + [""]
            elif k == 2:
                cells = cells + ["x"]
            elif k == 3:
                cells = cells[: r.randint(0, 6)]
            else:
                cells[r.randrange(7)] = '"' + cells[r.randrange(7)]
        if quote_all or (quote_some and r.random() < 0.3):
            cells = [c if c.startswith('"') else '"%s"' % c.replace('"', '""') for c in cells]
        elif quote_some and r.random() < 0.3:
            i = r.randrange(len(cells)) if cells else 0
            if cells and not cells[i].startswith('"'):
                cells[i] = '"%s"' % cells[i]
        rows.append(",".join(cells))
        if tricky and r.random() < bad_rate / 2:
            rows.append(r.choice(["", "", ",,,,,,", " ", "\r", "\"", "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv"]))
    if shape == 2:
        r.shuffle(rows)
    if shape == 3 and rows:
        # sort by key so keys arrive in runs
        rows.sort(key=lambda s: s.split(",")[1:3])
    header = HEADER
    if r.random() < 0.1:
        header = '"' + '","'.join(HEADER.split(",")) + '"'
    if r.random() < 0.05:
        header = "\ufeff" + header
    if r.random() < 0.01:
        header = ",".join(HEADER.split(",")[:4])
        rows = [",".join(x.split(",")[:4]) for x in rows]
    nl = "\r\n" if crlf else "\n"
    text = header + nl + nl.join(rows)
    end = r.random()
    if end < 0.7:
        text += nl
    elif end < 0.8:
        text += nl + nl
    data = text.encode("utf-8")
    # non-UTF-8 markers
    data = data.replace("\u00ff\u00fe".encode("utf-8"), b"\xff\xfe")
    if tricky and r.random() < bad_rate * 5:
        # stray CR or mixed line ends
        lines = data.split(b"\n")
        if len(lines) > 2:
            i = r.randrange(1, len(lines) - 1)
            lines[i] = lines[i] + r.choice([b"\r", b"\r\r", b"\r,", b""]) if b"\r" not in lines[i] else lines[i]
            data = b"\n".join(lines)
    if tricky and r.random() < 0.03 and len(data) > 100:
        # one very long line somewhere
        i = data.index(b"\n", len(data) // 2) if b"\n" in data[len(data) // 2:] else len(data)
        data = data[:i] + b"," + b"9" * r.choice([70000, 140000, 300000]) + data[i:]
    threads = r.choice(["2", "2", "2", "3", "4", "7"])
    return data, threads


BOOK_SHIFTS = [None, None, dt.date(2023, 11, 30), dt.date(2099, 12, 1)]


def shifted(text, start):
    """`text` with every 2025 date of the usual span moved to a span starting at `start`."""
    delta = dt.date(2025, 7, 1) - start

    def move(m):
        try:
            return (dt.date.fromisoformat(m.group(0).decode()) - delta).isoformat().encode()
        except ValueError:
            return m.group(0)

    return re.sub(rb"(?<![0-9])2025-[01][0-9]-[0-3][0-9](?![0-9])", move, text)


def run(binary, args, env):
    p = subprocess.run([binary] + args, capture_output=True, env=env, timeout=120)
    return p.returncode, p.stdout, p.stderr


def read_tree(d):
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            path = os.path.join(root, f)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, d)] = fh.read()
    return out


def check(job):
    old, new, base, work, seed = job
    data, threads = make_case(seed, base)
    d = os.path.join(work, "c-%d" % seed)
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(base, d)
    shift = BOOK_SHIFTS[seed % len(BOOK_SHIFTS)]
    book_args = []
    if shift is not None:
        # the same book with its windows moved: a span over a leap day or a century year
        with open(os.path.join(BOOK_PATH), "rb") as fh:
            head, rest = fh.read().split(b"[gmv_growth]", 1)
        book = os.path.join(d, "book.toml")
        with open(book, "wb") as fh:
            fh.write(shifted(head, shift) + b"[gmv_growth]" + rest)
        book_args = ["--book", book]
        data = shifted(data, shift)
    with open(os.path.join(d, "gmv_daily.csv"), "wb") as fh:
        fh.write(data)
    env = dict(os.environ, TSP_PAYOUT_THREADS=threads)
    problems = []
    out = os.path.join(work, "o-%d" % seed)
    scenario = os.path.join(work, "scenario-%d.toml" % seed)
    with open(scenario, "w") as fh:
        fh.write(SCENARIO)
    month = "2025-%02d-01" % (10 + seed % 3)
    month = (shifted(month.encode(), shift).decode() if shift else month)[:7]
    as_of = random.Random(-seed).choice(["2025-10-01", "2025-10-31", "2025-11-01", "2025-11-15",
                                         "2025-11-30", "2025-12-01", "2025-12-30", "2025-12-31"])
    for args in (
        ["calc", d, "--allow-gaps", "--format", "csv"],
        ["calc", d, "--allow-gaps", "--format", "json", "--as-of", as_of],
        ["calc", d, "--allow-gaps", "--skip-invalid", "--out", out],
        ["statements", d, "--allow-gaps", "--month", month, "--skip-invalid", "--out", out],
        ["whatif", d, "--allow-gaps", "--scenario", scenario, "--format", "csv", "--skip-invalid"],
        ["validate", d],
    ):
        if shift is not None:
            args = args + book_args
            if "--as-of" in args:
                i = args.index("--as-of") + 1
                args[i] = shifted(args[i].encode(), shift).decode()
        results = []
        for b in (old, new):
            shutil.rmtree(out, ignore_errors=True)
            res = run(b, args, env)
            tree = read_tree(out) if os.path.isdir(out) else {}
            results.append((res, tree))
        shutil.rmtree(out, ignore_errors=True)
        (ro, to), (rn, tn) = results
        if ro != rn or to != tn:
            what = []
            if ro[0] != rn[0]:
                what.append("exit %d vs %d" % (ro[0], rn[0]))
            if ro[1] != rn[1]:
                what.append("stdout")
            if ro[2] != rn[2]:
                what.append("stderr")
            if to != tn:
                what.append("files " + ",".join(sorted(k for k in set(to) | set(tn) if to.get(k) != tn.get(k))))
            problems.append((" ".join(args[:1] + args[2:]), what, ro, rn))
    os.remove(scenario)
    if problems:
        keep = os.path.join(work, "diff-%d" % seed)
        shutil.rmtree(keep, ignore_errors=True)
        os.rename(d, keep)
        with open(os.path.join(keep, "DIFF.txt"), "wb") as fh:
            fh.write(("threads=%s\n" % threads).encode())
            for args, what, ro, rn in problems:
                fh.write(("== %s: %s\n" % (args, "; ".join(what))).encode())
                fh.write(b"-- old stdout\n" + ro[1][:3000] + b"\n-- new stdout\n" + rn[1][:3000])
                fh.write(b"\n-- old stderr\n" + ro[2][:3000] + b"\n-- new stderr\n" + rn[2][:3000] + b"\n")
    else:
        shutil.rmtree(d, ignore_errors=True)
    return seed, problems, len(data)


def main():
    old, new, base, work, first, count = sys.argv[1:7]
    jobs = int(sys.argv[7]) if len(sys.argv) > 7 else 2
    os.makedirs(work, exist_ok=True)
    first, count = int(first), int(count)
    bad = done = 0
    with Pool(jobs) as pool:
        for seed, problems, size in pool.imap_unordered(
            check, [(old, new, base, work, s) for s in range(first, first + count)]
        ):
            done += 1
            if done % 500 == 0:
                print("%d cases, %d differ so far" % (done, bad), flush=True)
            if problems:
                bad += 1
                print("seed %d (%d bytes): %s" % (seed, size, " | ".join("%s: %s" % (a, ",".join(w)) for a, w, _, _ in problems)), flush=True)
    print("done %d cases, %d differ" % (count, bad), flush=True)


if __name__ == "__main__":
    main()
