#!/usr/bin/env python3
"""Writes the deterministic sample data directory fixtures/q4-sample/.

Twelve partners (P01..P12) with daily seller GMV for 2025-07-01..2025-12-31, a
tier history, incubated creators, BFCM matchmaking and partner names. The data
is shaped so that every program of SPEC section 1 has winners and losers, and a
few values sit exactly on a threshold (or one cent below) so that exact
arithmetic is exercised:

  * P02's Q4-vs-Q3 daily GMV increment is exactly 25,000.00 (pays the $15,000 tier);
    P05's is 2,999.99 (one cent below the first tier, pays 0).
  * S0703's October average daily GMV is exactly 20,000.00 (a "large" seller).
  * S0101's BFCM uplift is exactly 1.00, S0402's exactly 0.25, and S1102's is a
    hair below 0.50.
  * P08's BFCM live GMV is exactly 5,000.00 (eligible for the championship).
  * Creator C003's Q4 GMV is exactly 10,000.00, C007's 1,000.00, C006's 999.99
    and C009's 149,999.99.
  * P02 and P05 have exactly 10,000.00 and 9,999.99 matched BFCM GMV; P03 and
    P07 tie on 42,000.00 and are separated by their count of distinct
    (seller, creator) pairs with GMV > 0 (P03 also has pairs with only 0.00 rows).
  * P12 has 75 affiliate-only sellers with sparse Oct-Dec rows so that more than
    70 qualify for affiliate credits and the cap applies.

Standard library only; a fixed seed makes the output byte-identical run to run.

Usage: python3 tools/gen_fixtures.py [OUT_DIR]   (default fixtures/q4-sample)
"""

import csv
import os
import random
import sys
from datetime import date, timedelta

SEED = 20251231
START, END = date(2025, 7, 1), date(2025, 12, 31)
Q4_START = date(2025, 10, 1)
OCT = (date(2025, 10, 1), date(2025, 10, 31))
BFCM = (date(2025, 11, 12), date(2025, 12, 1))
DEC_AFTER_BFCM = (date(2025, 12, 2), date(2025, 12, 31))
# Extra lift on the big shopping days on top of the BFCM multiplier.
PEAK_DAYS = {date(2025, 11, 27): 1.2, date(2025, 11, 28): 1.6, date(2025, 12, 1): 1.5}

PARTNER_NAMES = {
    "P01": "Brightline Commerce",
    "P02": "Harbor & Finch Digital",
    "P03": "Summit, Reed and Co.",
    "P04": "Northwind Social Commerce",
    "P05": "Cobalt Creek Media",
    "P06": "Lumen Retail Partners",
    "P07": "Redwood Growth Agency",
    "P08": "Blue Maple Ecommerce",
    "P09": "Atlas Shopfront Group",
    "P10": "Parallax Brand Studio",
    "P11": "Kestrel Live Commerce",
    "P12": "Meridian Affiliate Collective",
}

# Per partner:
#   bases  - Q3 average daily GMV of each regular seller (dollars)
#   growth - level in Oct, Nov, Dec relative to Q3
#   bfcm   - extra multiplier on BFCM days
#   sv     - short-video share of GMV in Q3, Oct, Nov, Dec (drives 1.3 winners/losers)
#   live   - live share of GMV (BFCM live GMV decides 6c)
PARTNERS = {
    "P01": dict(bases=[45000, 30000, 25000, 20000, 15000, 10000], growth=(1.25, 1.35, 1.45),
                bfcm=1.6, sv=(0.20, 0.22, 0.24, 0.22), live=0.10),
    "P02": dict(bases=[35000, 25000, 20000, 12000, 8000], growth=(1.06, 1.10, 1.12),
                bfcm=1.4, sv=(0.15, 0.16, 0.18, 0.16), live=0.05),
    "P03": dict(bases=[25000, 15000, 12000, 8000], growth=(1.10, 1.15, 1.20),
                bfcm=1.5, sv=(0.25, 0.20, 0.22, 0.24), live=0.08),
    "P04": dict(bases=[14000, 9000, 6000], growth=(1.08, 1.12, 1.14),
                bfcm=1.3, sv=(0.10, 0.12, 0.13, 0.12), live=0.03),
    "P05": dict(bases=[18000, 12000, 8000], growth=(0.94, 0.96, 0.92),
                bfcm=1.25, sv=(0.30, 0.25, 0.28, 0.22), live=0.002),
    "P06": dict(bases=[20000, 15000, 10000, 6000], growth=(0.85, 0.82, 0.78),
                bfcm=1.15, sv=(0.15, 0.14, 0.15, 0.13), live=0.04),
    "P07": dict(bases=[30000, 25000, 17000, 12000, 8000], growth=(1.18, 1.25, 1.30),
                bfcm=1.5, sv=(0.18, 0.20, 0.22, 0.20), live=0.15),
    "P08": dict(bases=[12000, 8000, 5000], growth=(1.10, 1.12, 1.15),
                bfcm=1.3, sv=(0.12, 0.14, 0.12, 0.15), live=0.0045),
    "P09": dict(bases=[15000, 10000, 7000], growth=(0.92, 0.95, 0.88),
                bfcm=1.2, sv=(0.10, 0.09, 0.16, 0.08), live=0.0),
    "P10": dict(bases=[60000, 45000, 35000, 30000, 20000, 15000, 10000], growth=(1.15, 1.22, 1.28),
                bfcm=1.55, sv=(0.08, 0.10, 0.12, 0.10), live=0.12),
    "P11": dict(bases=[20000, 15000, 10000, 5000], growth=(1.12, 1.18, 1.22),
                bfcm=1.4, sv=(0.20, 0.22, 0.22, 0.21), live=0.25),
    "P12": dict(bases=[10000, 6000], growth=(1.00, 1.02, 1.00),
                bfcm=1.2, sv=(0.05, 0.05, 0.06, 0.05), live=0.0),
}

# Per-seller BFCM multiplier overrides, so 6b uplifts spread over every band.
SELLER_BFCM = {
    "S0101": 1.75, "S0102": 1.25, "S0104": 1.05, "S0201": 1.9, "S0203": 1.1,
    "S0301": 1.0, "S0402": 1.2, "S0403": 1.9, "S0601": 1.0, "S0703": 1.3,
    "S1001": 1.15, "S1003": 2.0, "S1006": 1.0, "S1102": 1.3, "S1104": 1.8,
}
# Q4 affiliate GMV each regular seller is aimed at (dollars); crossing the 2,000 /
# 10,000 / 25,000 tiers happens in different months depending on the size.
AFFILIATE_TARGETS = [0, 0, 1200, 3000, 6000, 12000, 20000, 30000, 60000, 150000]


def days(start, end):
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


def inside(d, window):
    return window[0] <= d <= window[1]


def money(cents):
    return f"{cents // 100}.{cents % 100:02d}"


class Row:
    """One gmv_daily row; amounts in integer cents."""
    __slots__ = ("date", "pid", "sid", "gmv", "sv", "live", "aff")

    def __init__(self, day, pid, sid, gmv, sv, live, aff):
        self.date, self.pid, self.sid = day, pid, sid
        self.gmv, self.sv, self.live, self.aff = gmv, sv, live, aff


def cents(x):
    return int(round(x * 100))


def month_level(growth, day):
    if day < Q4_START:
        return 1.0
    return growth[day.month - 10]


def sv_share(sv, day):
    return sv[0] if day < Q4_START else sv[day.month - 9]


def regular_sellers(rng):
    rows = []
    for pid, cfg in PARTNERS.items():
        for i, base in enumerate(cfg["bases"], start=1):
            sid = f"S{pid[1:]}{i:02d}"
            bfcm = SELLER_BFCM.get(sid, cfg["bfcm"] * rng.uniform(0.85, 1.15))
            aff_target = rng.choice(AFFILIATE_TARGETS)
            q4_estimate = base * 92 * sum(cfg["growth"]) / 3
            aff_share = min(0.6, aff_target / q4_estimate)
            first, last = START, END
            if sid == "S0604":
                last = date(2025, 10, 20)   # churned seller: leaves in October
            for day in days(first, last):
                if rng.random() < 0.015:
                    continue                # occasional day without a row (counts as zero)
                level = base * month_level(cfg["growth"], day)
                if inside(day, BFCM):
                    level *= bfcm * PEAK_DAYS.get(day, 1.0)
                if day.weekday() >= 5:
                    level *= 1.12
                gmv = cents(level * rng.uniform(0.85, 1.15))
                sv = cents(gmv / 100 * sv_share(cfg["sv"], day) * rng.uniform(0.8, 1.2))
                live_share = cfg["live"] * (1.5 if inside(day, BFCM) else 1.0)
                live = cents(gmv / 100 * live_share * rng.uniform(0.7, 1.3))
                aff = cents(gmv / 100 * aff_share * rng.uniform(0.7, 1.3))
                rows.append(Row(day, pid, sid, gmv, min(sv, gmv), min(live, gmv), min(aff, gmv)))
    # A seller that joins P05 in November: no October GMV, so not in the 6b challenge.
    for day in days(date(2025, 11, 5), END):
        gmv = cents(3000 * rng.uniform(0.8, 1.2) * (1.3 if inside(day, BFCM) else 1.0))
        rows.append(Row(day, "P05", "S0504", gmv, cents(gmv / 100 * 0.2), 0, cents(gmv / 100 * 0.05)))
    return rows


def sparse_affiliate_sellers(rng):
    """P12's 75 affiliate-only sellers S1203..S1277: a few rows a month in Q4 only.
    With this seed 64 qualify in October (under the cap), 72 by November and all 75
    by December, so the 70-seller cap applies in November and December."""
    rows = []
    for k in range(75):
        sid = f"S12{k + 3:02d}"
        if k < 3:
            dec_total = rng.uniform(2100, 2900)       # qualify only in December
            nov_total = dec_total * rng.uniform(0.4, 0.6)
        else:
            dec_total = rng.uniform(4000, 30000)
            nov_total = dec_total * rng.uniform(0.6, 0.8)
        oct_total = nov_total * rng.uniform(0.25, 0.55)
        in_bfcm = k % 15 == 0                       # only a few sell during BFCM
        monthly = [
            (oct_total, list(days(date(2025, 10, 1), date(2025, 10, 31)))),
            (nov_total - oct_total, list(days(date(2025, 11, 1), date(2025, 11, 11)))
             + (list(days(BFCM[0], date(2025, 11, 30))) if in_bfcm else [])),
            (dec_total - nov_total, list(days(DEC_AFTER_BFCM[0], END))
             + ([BFCM[1]] if in_bfcm else [])),
        ]
        for amount, choices in monthly:
            picked = sorted(rng.sample(choices, rng.randint(1, 3)))
            weights = [rng.uniform(0.5, 1.5) for _ in picked]
            for day, w in zip(picked, weights):
                aff = cents(amount * w / sum(weights))
                gmv = cents(aff / 100 / rng.uniform(0.6, 0.9))
                sv = cents(gmv / 100 * rng.uniform(0.0, 0.1))
                rows.append(Row(day, "P12", sid, gmv, sv, 0, aff))
    return rows


def scale_to(rows, target, attr="gmv"):
    """Moves the sum of `attr` over `rows` to exactly `target` cents, spreading the
    change in proportion to each row (the last row takes the rounding)."""
    total = sum(getattr(r, attr) for r in rows)
    delta = target - total
    done = 0
    for r in rows[:-1]:
        step = delta * getattr(r, attr) // total
        setattr(r, attr, getattr(r, attr) + step)
        done += step
    setattr(rows[-1], attr, getattr(rows[-1], attr) + delta - done)


def select(rows, pid=None, sid=None, window=None):
    return [r for r in rows
            if (pid is None or r.pid == pid) and (sid is None or r.sid == sid)
            and (window is None or inside(r.date, window))]


def engineer_boundaries(rows):
    # Exact October average of 20,000.00: 31 x 20,000.00.
    scale_to(select(rows, sid="S0703", window=OCT), 31 * 2_000_000)

    # Exact BFCM uplift u: bfcm_sum * 31 == (1 + u) * oct_sum * 20. Make the October
    # sum a multiple of 31 first so the BFCM target is a whole number of cents.
    def exact_uplift(sid, num, den, minus_one_cent=False):
        october = select(rows, sid=sid, window=OCT)
        oct_sum = sum(r.gmv for r in october)
        scale_to(october, oct_sum - oct_sum % 31)
        oct_sum -= oct_sum % 31
        bfcm_sum = (den + num) * oct_sum * 20 // (31 * den)
        scale_to(select(rows, sid=sid, window=BFCM), bfcm_sum - (1 if minus_one_cent else 0))

    exact_uplift("S0101", 1, 1)                       # uplift exactly 1.00 (large)
    exact_uplift("S0402", 1, 4)                       # uplift exactly 0.25 (small)
    exact_uplift("S1102", 1, 2, minus_one_cent=True)  # one cent below 0.50 (small)

    # P08's BFCM live GMV exactly 5,000.00.
    scale_to(select(rows, pid="P08", window=BFCM), 500_000, attr="live")

    # GMV growth increments, set on December days after BFCM so the October and
    # BFCM figures above stay put: Q4 sum - Q3 sum = 92 x increment.
    for pid, increment in (("P02", 2_500_000), ("P05", 299_999)):
        q3 = sum(r.gmv for r in select(rows, pid=pid, window=(START, date(2025, 9, 30))))
        q4_other = sum(r.gmv for r in select(rows, pid=pid, window=(Q4_START, BFCM[1])))
        scale_to(select(rows, pid=pid, window=DEC_AFTER_BFCM), q3 + 92 * increment - q4_other)


def check(rows):
    keys = set()
    for r in rows:
        assert 0 <= r.sv <= r.gmv and 0 <= r.live <= r.gmv and 0 <= r.aff <= r.gmv, (r.pid, r.sid, r.date)
        key = (r.date, r.pid, r.sid)
        assert key not in keys, key
        keys.add(key)


def split_cents(rng, total, n):
    """n random non-negative parts (cents) summing exactly to total."""
    weights = [rng.randint(20, 180) for _ in range(n)]
    parts = [total * w // sum(weights) for w in weights]
    parts[-1] += total - sum(parts)
    return parts


# Creators: (creator_id, partner_id, target_list cell, Q4 GMV in cents).
CREATORS = [
    ("C001", "P01", "true", 18_123_456),   # >= 150,000 -> $10,000
    ("C002", "P01", "true", 6_254_010),    # >= 50,000  -> $5,000
    ("C003", "P02", "true", 1_000_000),    # exactly 10,000.00 -> $2,500
    ("C004", "P02", "false", 20_050_000),  # not on the target list
    ("C005", "P03", "TRUE", 1_233_075),    # upper-case flag still counts -> $2,500
    ("C006", "P04", "true", 99_999),       # 999.99 -> $0
    ("C007", "P04", "true", 100_000),      # exactly 1,000.00 -> $1,000
    ("C008", "P05", "true", 352_040),      # -> $1,000
    ("C009", "P07", "true", 14_999_999),   # 149,999.99 -> $5,000
    ("C010", "P07", "true", 5_512_345),    # -> $5,000
    ("C011", "P08", "false", 2_003_300),   # not on the target list
    ("C012", "P10", "true", 25_087_766),   # -> $10,000
    ("C013", "P10", "true", 0),            # only September sales -> $0
    ("C014", "P11", "true", 3_021_450),    # -> $2,500
    ("C015", "P12", "true", 812_575),      # 8,125.75 -> $1,000
    ("C016", "P09", "true", 4_876_500),    # -> $2,500
]
UNMATCHED_CREATOR = ("C099", 1_534_000)   # sells but is not in creators.csv


def creator_rows(rng):
    rows = []
    q4_days = list(days(Q4_START, END))
    for cid, _, _, total in CREATORS + [(UNMATCHED_CREATOR[0], None, None, UNMATCHED_CREATOR[1])]:
        if total:
            picked = sorted(rng.sample(q4_days, rng.randint(25, 70)))
            if cid == "C005":
                picked = sorted(set(picked) | {Q4_START})   # first day of the window
            rows += [(d, cid, c) for d, c in zip(picked, split_cents(rng, total, len(picked)))]
    # Sales before Q4 are outside the program window.
    for cid, day, amount in (("C001", date(2025, 9, 14), 250_000), ("C005", date(2025, 9, 30), 88_800),
                             ("C013", date(2025, 9, 3), 1_200_000), ("C013", date(2025, 9, 21), 950_055)):
        rows.append((day, cid, amount))
    return sorted(rows, key=lambda r: (r[0], r[1]))


# Matchmaking: partner -> (BFCM total in cents, list of (seller, creator) pairs).
MATCHMAKING = {
    "P10": (9_654_020, [("S1001", "C201"), ("S1001", "C202"), ("S1002", "C203"), ("S1003", "C204"),
                        ("S1004", "C205"), ("S1005", "C206")]),
    "P01": (7_110_500, [("S0101", "C211"), ("S0102", "C212"), ("S0102", "C213"), ("S0103", "C214")]),
    "P07": (4_200_000, [("S0701", "C221"), ("S0702", "C222"), ("S0703", "C223"), ("S0704", "C224")]),
    "P03": (4_200_000, [("S0301", "C231"), ("S0302", "C232"), ("S0303", "C233")]),
    "P11": (1_830_000, [("S1101", "C241"), ("S1102", "C242")]),
    "P02": (1_000_000, [("S0201", "C251"), ("S0203", "C252")]),
    "P05": (999_999, [("S0501", "C261"), ("S0502", "C262")]),
    "P08": (420_000, [("S0801", "C271")]),
}
# Rows outside BFCM (they must not count): (date, partner, seller, creator, cents).
MATCHMAKING_OUTSIDE = [
    (date(2025, 11, 11), "P05", "S0501", "C261", 300_000),
    (date(2025, 12, 2), "P10", "S1001", "C201", 450_000),
    (date(2025, 11, 5), "P09", "S0901", "C281", 1_500_000),
    (date(2025, 12, 9), "P09", "S0902", "C282", 1_120_000),
]


def matchmaking_rows(rng):
    bfcm_days = list(days(*BFCM))
    rows = []
    for pid, (total, pairs) in MATCHMAKING.items():
        per_pair = split_cents(rng, total, len(pairs))
        for (sid, cid), amount in zip(pairs, per_pair):
            picked = sorted(rng.sample(bfcm_days, rng.randint(2, 6)))
            rows += [(d, pid, sid, cid, c) for d, c in zip(picked, split_cents(rng, amount, len(picked)))]
    # P03's extra pairs only ever have 0.00 rows: they must not count as pairs with GMV.
    rows += [(date(2025, 11, 20), "P03", "S0304", "C234", 0), (date(2025, 11, 29), "P03", "S0301", "C235", 0)]
    rows += MATCHMAKING_OUTSIDE
    return sorted(rows, key=lambda r: (r[0], r[1], r[2], r[3]))


# Tier history (partner_id, effective_date, tier); P11 has none.
TIERS = [
    ("P01", "2024-11-01", 2), ("P01", "2025-10-15", 3),                            # clean 2 -> 3: $5,000
    ("P02", "2025-01-01", 3), ("P02", "2025-06-01", 2), ("P02", "2025-10-20", 3),  # not first-time
    ("P03", "2025-01-01", 2), ("P03", "2025-12-05", 4),                            # tier 4 for 27 of 30 days
    ("P04", "2025-03-01", 2), ("P04", "2025-11-01", 4), ("P04", "2025-12-20", 5),  # 2 -> 4 -> 5: $7,500
    ("P05", "2025-10-10", 3),                                                      # no row by 30 Sep
    ("P06", "2025-02-01", 1), ("P06", "2025-12-02", 2),                            # held exactly 30 days
    ("P07", "2025-04-01", 4), ("P07", "2025-11-01", 5),                            # 4 -> 5: $10,000
    ("P08", "2025-01-01", 3),                                                      # no change
    ("P09", "2025-01-01", 3), ("P09", "2025-11-01", 2),                            # downgrade
    ("P10", "2025-05-01", 2), ("P10", "2025-11-20", 3), ("P10", "2025-12-10", 4),  # keeps 3: $5,000
    ("P12", "2025-09-30", 1), ("P12", "2025-10-05", 2),                            # row on the cutoff day
]


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main(argv):
    out = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                     "..", "fixtures", "q4-sample")
    os.makedirs(out, exist_ok=True)
    rng = random.Random(SEED)

    rows = regular_sellers(rng) + sparse_affiliate_sellers(rng)
    engineer_boundaries(rows)
    check(rows)
    rows.sort(key=lambda r: (r.date, r.pid, r.sid))
    write_csv(os.path.join(out, "gmv_daily.csv"),
              ["date", "partner_id", "seller_id", "gmv", "short_video_gmv", "live_gmv", "affiliate_gmv"],
              [(r.date.isoformat(), r.pid, r.sid, money(r.gmv), money(r.sv), money(r.live), money(r.aff))
               for r in rows])
    write_csv(os.path.join(out, "partner_tiers.csv"), ["partner_id", "effective_date", "tier"], TIERS)
    write_csv(os.path.join(out, "creators.csv"), ["creator_id", "partner_id", "target_list"],
              [(cid, pid, flag) for cid, pid, flag, _ in CREATORS])
    write_csv(os.path.join(out, "creator_gmv_daily.csv"), ["date", "creator_id", "gmv"],
              [(d.isoformat(), cid, money(c)) for d, cid, c in creator_rows(rng)])
    write_csv(os.path.join(out, "matchmaking.csv"), ["date", "partner_id", "seller_id", "creator_id", "gmv"],
              [(d.isoformat(), pid, sid, cid, money(c)) for d, pid, sid, cid, c in matchmaking_rows(rng)])
    write_csv(os.path.join(out, "partners.csv"), ["partner_id", "partner_name"], sorted(PARTNER_NAMES.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
