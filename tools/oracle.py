#!/usr/bin/env python3
"""Reference implementation of the Q4 2025 payout rules (SPEC section 1).

Independent of the Rust code: it reads a data directory with the six CSV files
of SPEC section 2 (assumed valid), applies the default program book at the
evaluation date 2025-12-31, and prints one CSV row per (partner, program,
period):

    partner_id,program,period,amount

Every partner of the run gets a row for every program and period (0.00 where
nothing is earned). A program whose optional input file is missing is skipped
(no rows), as SPEC section 2 asks. All arithmetic is exact: money is held as
integer cents and averages/ratios as fractions.Fraction; no floats.

Usage: python3 tools/oracle.py DATA_DIR > expected.csv
"""

import csv
import os
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

# --- default program book (SPEC section 1 tables) --------------------------

Q3 = (date(2025, 7, 1), date(2025, 9, 30))
Q4 = (date(2025, 10, 1), date(2025, 12, 31))
MONTHS = {
    "2025-10": (date(2025, 10, 1), date(2025, 10, 31)),
    "2025-11": (date(2025, 11, 1), date(2025, 11, 30)),
    "2025-12": (date(2025, 12, 1), date(2025, 12, 31)),
}
OCTOBER = MONTHS["2025-10"]
BFCM = (date(2025, 11, 12), date(2025, 12, 1))
EVAL_END = date(2025, 12, 31)

# Tier tables: (threshold in dollars, payout in dollars), ascending.
GMV_GROWTH_TIERS = [(3000, 5000), (10000, 10000), (25000, 15000), (50000, 20000)]
TIER_UPGRADE_CUTOFF = date(2025, 9, 30)
TIER_HOLD_DAYS = 30
TIER_UPGRADE_BONUS = {2: 2500, 3: 5000, 4: 7500, 5: 10000}
# Bands: (first rank, last rank, payout in dollars).
SV_BANDS = [(1, 1, 5000), (2, 3, 4000), (4, 6, 3000), (7, 10, 2000), (11, 15, 1000)]
SV_TOP = 15
SV_CONSISTENCY = 2000
AFFILIATE_TIERS = [(2000, 250), (10000, 500), (25000, 1000)]
AFFILIATE_CAP = 70
CREATOR_TIERS = [(1000, 1000), (10000, 2500), (50000, 5000), (150000, 10000)]
MATCH_MIN = 10000
MATCH_PRIZES = [(1, 1, 25000), (2, 3, 15000), (4, 10, 8000), (11, 20, 3000)]
SELLER_LARGE_OCT_AVG = 20000
# Uplift tiers: (uplift r as an exact fraction, payout in dollars), ascending.
SELLER_LARGE_TIERS = [(Fraction(1, 4), 4000), (Fraction(1, 2), 8000), (Fraction(1), 12000)]
SELLER_SMALL_TIERS = [(Fraction(1, 4), 500), (Fraction(1, 2), 1000), (Fraction(1), 2000)]
LIVE_MIN = 5000
LIVE_PRIZES = [(1, 1, 10000), (2, 5, 5000), (6, 10, 2500)]

# Output order of programs and their periods (SPEC section 4).
PROGRAMS = [
    ("gmv_growth", ["q4"]),
    ("tier_upgrade", ["q4"]),
    ("short_video_top15", ["2025-10", "2025-11", "2025-12"]),
    ("short_video_consistency", ["2025-12"]),
    ("affiliate_credits", ["2025-10", "2025-11", "2025-12"]),
    ("creator_incubation", ["q4"]),
    ("bfcm_matchmaking", ["bfcm"]),
    ("bfcm_seller_challenge", ["bfcm"]),
    ("bfcm_live_championship", ["bfcm"]),
]

CENTS = 100


# --- small helpers ----------------------------------------------------------

def ndays(window):
    return (window[1] - window[0]).days + 1


def inside(d, window):
    return window[0] <= d <= window[1]


def parse_date(s):
    return date.fromisoformat(s)


def parse_cents(s):
    """Money cell -> integer cents. Accepts the SPEC forms ($, thousands commas)."""
    s = s.replace("$", "").replace(",", "")
    return int(Decimal(s) * CENTS)


def tier_amount(value_cents, tiers):
    """Highest tier whose threshold is met (value >= threshold); 0 below the first."""
    paid = 0
    for threshold, amount in tiers:
        if value_cents >= threshold * CENTS:
            paid = amount
    return paid


def band_amount(rank, bands):
    for first, last, amount in bands:
        if first <= rank <= last:
            return amount
    return 0


def read_csv(path):
    """Rows as dicts with trimmed header names and cells; blank lines skipped.
    utf-8-sig strips an optional BOM; csv handles CRLF and quoted fields."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = None
        rows = []
        for rec in reader:
            if not rec or (len(rec) == 1 and rec[0].strip(" \t") == ""):
                continue
            cells = [c.strip(" \t") for c in rec]
            if header is None:
                header = cells
                continue
            rows.append(dict(zip(header, cells)))
        return rows


# --- data ---------------------------------------------------------------------

@dataclass
class Data:
    gmv: list = field(default_factory=list)            # (date, pid, sid, gmv, sv, live, aff) in cents
    tiers: list | None = None                          # (pid, effective_date, tier)
    creators: list | None = None                       # (cid, pid, target_list bool)
    creator_gmv: list | None = None                    # (date, cid, gmv cents)
    matchmaking: list | None = None                    # (date, pid, sid, cid, gmv cents)
    partners: list | None = None                       # (pid, name)


def load(data_dir):
    def path(name):
        return os.path.join(data_dir, name)

    def opt(name):
        return read_csv(path(name)) if os.path.exists(path(name)) else None

    d = Data()
    for r in read_csv(path("gmv_daily.csv")):
        d.gmv.append((parse_date(r["date"]), r["partner_id"], r["seller_id"],
                      parse_cents(r["gmv"]), parse_cents(r["short_video_gmv"]),
                      parse_cents(r["live_gmv"]), parse_cents(r["affiliate_gmv"])))
    rows = opt("partner_tiers.csv")
    if rows is not None:
        d.tiers = [(r["partner_id"], parse_date(r["effective_date"]), int(r["tier"])) for r in rows]
    rows = opt("creators.csv")
    if rows is not None:
        d.creators = [(r["creator_id"], r["partner_id"], r["target_list"].lower() == "true")
                      for r in rows]
    rows = opt("creator_gmv_daily.csv")
    if rows is not None:
        d.creator_gmv = [(parse_date(r["date"]), r["creator_id"], parse_cents(r["gmv"])) for r in rows]
    rows = opt("matchmaking.csv")
    if rows is not None:
        d.matchmaking = [(parse_date(r["date"]), r["partner_id"], r["seller_id"], r["creator_id"],
                          parse_cents(r["gmv"])) for r in rows]
    rows = opt("partners.csv")
    if rows is not None:
        d.partners = [(r["partner_id"], r["partner_name"]) for r in rows]
    return d


def run_partners(d):
    """Every partner_id that appears in any file (SPEC section 2)."""
    ids = {r[1] for r in d.gmv}
    for rows, col in ((d.tiers, 0), (d.creators, 1), (d.matchmaking, 1), (d.partners, 0)):
        if rows is not None:
            ids |= {r[col] for r in rows}
    return sorted(ids)


def partner_sum(d, window, col):
    """Per-partner sum (cents) of gmv_daily column `col` over a window."""
    out = {}
    for row in d.gmv:
        if inside(row[0], window):
            out[row[1]] = out.get(row[1], 0) + row[col]
    return out


GMV, SV, LIVE, AFF = 3, 4, 5, 6


def rank(entrants):
    """entrants: list of (sort_key, pid) with sort_key already encoding
    'metric desc, tie-breakers, id asc'. Returns {pid: rank} with ranks 1..N."""
    return {pid: i + 1 for i, (_, pid) in enumerate(sorted(entrants))}


# --- programs -------------------------------------------------------------------

def gmv_growth(d, partners):
    q3 = partner_sum(d, Q3, GMV)
    q4 = partner_sum(d, Q4, GMV)
    out = {}
    for p in partners:
        inc = Fraction(q4.get(p, 0), ndays(Q4)) - Fraction(q3.get(p, 0), ndays(Q3))
        out[(p, "q4")] = tier_amount(inc, GMV_GROWTH_TIERS)
    return out


def tier_upgrade(d, partners):
    history = {}
    for pid, eff, tier in d.tiers:
        history.setdefault(pid, []).append((eff, tier))

    def tier_on(rows, day):
        # Tier of the row with the latest effective_date <= day (None before the first row).
        best = None
        for eff, tier in rows:
            if eff <= day and (best is None or eff > best[0]):
                best = (eff, tier)
        return best[1] if best else None

    hold = [EVAL_END - timedelta(days=i) for i in range(TIER_HOLD_DAYS)]
    out = {}
    for p in partners:
        rows = history.get(p, [])
        before = [t for eff, t in rows if eff <= TIER_UPGRADE_CUTOFF]
        amount = 0
        if before:  # eligible only with a row effective on or before the cutoff
            # Every tier effective on or before the cutoff was held on its effective date.
            prior_max = max(before)
            held = [tier_on(rows, day) for day in hold]
            held_tier = 0 if any(t is None for t in held) else min(held)
            if held_tier > prior_max:
                amount = TIER_UPGRADE_BONUS.get(held_tier, 0)
        out[(p, "q4")] = amount
    return out


def short_video(d, partners):
    q3_sv = partner_sum(d, Q3, SV)
    ranks = {}
    out = {}
    for month, window in MONTHS.items():
        m_sv = partner_sum(d, window, SV)
        entrants = []
        for p in partners:
            inc = Fraction(m_sv.get(p, 0), ndays(window)) - Fraction(q3_sv.get(p, 0), ndays(Q3))
            if inc > 0:
                # Increment desc, then month short-video sum desc, then partner_id asc.
                entrants.append(((-inc, -m_sv.get(p, 0), p), p))
        ranks[month] = rank(entrants)
        for p in partners:
            r = ranks[month].get(p)
            out[(p, month)] = band_amount(r, SV_BANDS) if r else 0
    consistency = {}
    for p in partners:
        top_all = all(ranks[m].get(p, SV_TOP + 1) <= SV_TOP for m in MONTHS)
        consistency[(p, "2025-12")] = SV_CONSISTENCY if top_all else 0
    return out, consistency


def affiliate_credits(d, partners):
    out = {}
    previous = {p: 0 for p in partners}
    for month, window in MONTHS.items():
        cumulative = {}  # (pid, sid) -> affiliate cents from 1 Oct to month end
        for row in d.gmv:
            if Q4[0] <= row[0] <= window[1]:
                key = (row[1], row[2])
                cumulative[key] = cumulative.get(key, 0) + row[AFF]
        per_partner = {}
        for (pid, sid), cum in cumulative.items():
            credit = tier_amount(cum, AFFILIATE_TIERS)
            if credit > 0:
                per_partner.setdefault(pid, []).append((-credit, -cum, sid))
        for p in partners:
            # Cap: keep the 70 best by credit desc, cumulative GMV desc, seller_id asc.
            kept = sorted(per_partner.get(p, []))[:AFFILIATE_CAP]
            entitlement = sum(-c for c, _, _ in kept)
            out[(p, month)] = entitlement - previous[p]
            previous[p] = entitlement
    return out


def creator_incubation(d, partners):
    target = {cid: pid for cid, pid, on_list in d.creators if on_list}
    q4 = {}
    for day, cid, cents in d.creator_gmv:
        if cid in target and inside(day, Q4):
            q4[cid] = q4.get(cid, 0) + cents
    out = {(p, "q4"): 0 for p in partners}
    for cid, pid in target.items():
        out[(pid, "q4")] += tier_amount(q4.get(cid, 0), CREATOR_TIERS)
    return out


def bfcm_matchmaking(d, partners):
    total = {}
    pairs = {}
    for day, pid, sid, cid, cents in d.matchmaking:
        if inside(day, BFCM):
            total[pid] = total.get(pid, 0) + cents
            if cents > 0:
                pairs.setdefault(pid, set()).add((sid, cid))
    entrants = [((-total[p], -len(pairs.get(p, ())), p), p)
                for p in total if total[p] >= MATCH_MIN * CENTS]
    ranks = rank(entrants)
    return {(p, "bfcm"): band_amount(ranks[p], MATCH_PRIZES) if p in ranks else 0
            for p in partners}


def bfcm_seller_challenge(d, partners):
    oct_sum, bfcm_sum = {}, {}
    for row in d.gmv:
        key = (row[1], row[2])
        if inside(row[0], OCTOBER):
            oct_sum[key] = oct_sum.get(key, 0) + row[GMV]
        if inside(row[0], BFCM):
            bfcm_sum[key] = bfcm_sum.get(key, 0) + row[GMV]
    out = {(p, "bfcm"): 0 for p in partners}
    od, bd = ndays(OCTOBER), ndays(BFCM)
    for key, o in oct_sum.items():
        if o == 0:
            continue  # zero October GMV: not eligible
        large = o >= SELLER_LARGE_OCT_AVG * CENTS * od
        tiers = SELLER_LARGE_TIERS if large else SELLER_SMALL_TIERS
        b = bfcm_sum.get(key, 0)
        paid = 0
        for r, amount in tiers:
            # uplift >= r  <=>  b_sum * oct_days >= (1 + r) * oct_sum * bfcm_days
            if b * od >= (1 + r) * o * bd:
                paid = amount
        out[(key[0], "bfcm")] += paid
    return out


def bfcm_live(d, partners):
    live = partner_sum(d, BFCM, LIVE)
    entrants = [((-live[p], p), p) for p in live if live[p] >= LIVE_MIN * CENTS]
    ranks = rank(entrants)
    return {(p, "bfcm"): band_amount(ranks[p], LIVE_PRIZES) if p in ranks else 0
            for p in partners}


def compute(data_dir):
    """{(partner_id, program, period): whole-dollar amount} for every evaluated line."""
    d = load(data_dir)
    partners = run_partners(d)
    results = {"gmv_growth": gmv_growth(d, partners)}
    if d.tiers is not None:
        results["tier_upgrade"] = tier_upgrade(d, partners)
    sv, consistency = short_video(d, partners)
    results["short_video_top15"] = sv
    results["short_video_consistency"] = consistency
    results["affiliate_credits"] = affiliate_credits(d, partners)
    if d.creators is not None and d.creator_gmv is not None:
        results["creator_incubation"] = creator_incubation(d, partners)
    if d.matchmaking is not None:
        results["bfcm_matchmaking"] = bfcm_matchmaking(d, partners)
    results["bfcm_seller_challenge"] = bfcm_seller_challenge(d, partners)
    results["bfcm_live_championship"] = bfcm_live(d, partners)

    lines = {}
    for p in partners:
        for program, periods in PROGRAMS:
            if program not in results:
                continue
            for period in periods:
                lines[(p, program, period)] = results[program][(p, period)]
    return lines


def main(argv):
    if len(argv) != 2:
        print("usage: oracle.py DATA_DIR", file=sys.stderr)
        return 2
    lines = compute(argv[1])
    order = {name: i for i, (name, _) in enumerate(PROGRAMS)}
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["partner_id", "program", "period", "amount"])
    for (p, program, period) in sorted(lines, key=lambda k: (k[0].encode(), order[k[1]], k[2])):
        out.writerow([p, program, period, f"{lines[(p, program, period)]}.00"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
