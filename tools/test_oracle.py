"""Checks the reference oracle against the worked examples of SPEC section 5.

Run: python3 -m unittest tools/test_oracle.py
"""

import os
import sys
import tempfile
import unittest
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402

GMV_HEADER = ["date", "partner_id", "seller_id", "gmv", "short_video_gmv", "live_gmv", "affiliate_gmv"]


def days(start, end):
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


class DataDir:
    """A throwaway data directory; files are given as header + rows of strings."""

    def __init__(self, files):
        self.tmp = tempfile.TemporaryDirectory()
        for name, (header, rows) in files.items():
            with open(os.path.join(self.tmp.name, name), "w", newline="", encoding="utf-8") as f:
                f.write(",".join(header) + "\n")
                for r in rows:
                    f.write(",".join(str(c) for c in r) + "\n")

    def __enter__(self):
        return self.tmp.name

    def __exit__(self, *exc):
        self.tmp.cleanup()


def gmv_row(day, pid, sid, gmv, sv="0.00", live="0.00", aff="0.00"):
    return [day.isoformat(), pid, sid, gmv, sv, live, aff]


class Example1GmvGrowthBoundary(unittest.TestCase):
    def run_with(self, last_day_gmv):
        rows = [gmv_row(d, "P1", "S1", "10000.00") for d in days(date(2025, 7, 1), date(2025, 9, 30))]
        q4 = list(days(date(2025, 10, 1), date(2025, 12, 31)))
        rows += [gmv_row(d, "P1", "S1", "19999.99") for d in q4[:-1]]
        rows.append(gmv_row(q4[-1], "P1", "S1", last_day_gmv))
        with DataDir({"gmv_daily.csv": (GMV_HEADER, rows)}) as path:
            return oracle.compute(path)[("P1", "gmv_growth", "q4")]

    def test_increment_exactly_10000_pays_10000(self):
        self.assertEqual(self.run_with("20000.91"), 10000)

    def test_one_cent_short_pays_5000(self):
        self.assertEqual(self.run_with("20000.90"), 5000)


class Example2LeaderboardTie(unittest.TestCase):
    def test_sixteen_equal_increments(self):
        # Every partner: October short-video = Q3 short-video + 100.00 a day, so all
        # sixteen increments are exactly 100. P16 has the larger October sum and ranks
        # first; P01..P15 tie on both and are ordered by partner_id, so P15 is 16th.
        rows = []
        for i in range(1, 17):
            pid = f"P{i:02d}"
            base = 700 if i == 16 else 500
            for d in days(date(2025, 7, 1), date(2025, 9, 30)):
                rows.append(gmv_row(d, pid, "S1", "5000.00", f"{base}.00"))
            for d in days(date(2025, 10, 1), date(2025, 10, 31)):
                rows.append(gmv_row(d, pid, "S1", "5000.00", f"{base + 100}.00"))
        with DataDir({"gmv_daily.csv": (GMV_HEADER, rows)}) as path:
            lines = oracle.compute(path)
        october = {p: a for (p, prog, per), a in lines.items()
                   if prog == "short_video_top15" and per == "2025-10"}
        expected = {"P16": 5000, "P01": 4000, "P02": 4000,
                    "P03": 3000, "P04": 3000, "P05": 3000,
                    "P06": 2000, "P07": 2000, "P08": 2000, "P09": 2000,
                    "P10": 1000, "P11": 1000, "P12": 1000, "P13": 1000, "P14": 1000,
                    "P15": 0}
        self.assertEqual(october, expected)
        self.assertEqual(sum(1 for a in october.values() if a > 0), 15)
        # No November/December rows: increments are negative, nobody is consistent.
        self.assertTrue(all(a == 0 for (p, prog, per), a in lines.items()
                            if prog == "short_video_consistency"))


class Example3AffiliateCap(unittest.TestCase):
    def test_cap_and_true_up(self):
        rows = []
        for i in range(1, 81):
            rows.append(gmv_row(date(2025, 10, 15), "P1", f"S{i:02d}", "30000.00", aff="30000.00"))
        # November: 5 of the 10 dropped sellers (S71..S80) outgrow the kept ones.
        for i in range(71, 76):
            rows.append(gmv_row(date(2025, 11, 10), "P1", f"S{i:02d}", "5000.00", aff="5000.00"))
        with DataDir({"gmv_daily.csv": (GMV_HEADER, rows)}) as path:
            lines = oracle.compute(path)
        self.assertEqual(lines[("P1", "affiliate_credits", "2025-10")], 70000)
        self.assertEqual(lines[("P1", "affiliate_credits", "2025-11")], 0)
        self.assertEqual(lines[("P1", "affiliate_credits", "2025-12")], 0)


class Example4TierUpgrade(unittest.TestCase):
    def run_tiers(self, tier_rows):
        gmv = [gmv_row(date(2025, 10, 1), "P0", "S1", "1.00")]
        with DataDir({"gmv_daily.csv": (GMV_HEADER, gmv),
                      "partner_tiers.csv": (["partner_id", "effective_date", "tier"], tier_rows)}) as path:
            return oracle.compute(path)

    def test_not_a_first_time_upgrade(self):
        lines = self.run_tiers([["P2", "2025-01-01", 3], ["P2", "2025-06-01", 2], ["P2", "2025-10-20", 3]])
        self.assertEqual(lines[("P2", "tier_upgrade", "q4")], 0)

    def test_held_27_of_30_days(self):
        lines = self.run_tiers([["P3", "2025-01-01", 2], ["P3", "2025-12-05", 4]])
        self.assertEqual(lines[("P3", "tier_upgrade", "q4")], 0)

    def test_held_30_days_pays_tier_4(self):
        lines = self.run_tiers([["P3", "2025-01-01", 2], ["P3", "2025-12-02", 4]])
        self.assertEqual(lines[("P3", "tier_upgrade", "q4")], 7500)

    def test_two_four_five_pays_tier_4(self):
        lines = self.run_tiers([["P4", "2025-01-01", 2], ["P4", "2025-11-01", 4], ["P4", "2025-12-20", 5]])
        self.assertEqual(lines[("P4", "tier_upgrade", "q4")], 7500)

    def test_no_row_before_cutoff_not_eligible(self):
        lines = self.run_tiers([["P5", "2025-10-01", 4]])
        self.assertEqual(lines[("P5", "tier_upgrade", "q4")], 0)


if __name__ == "__main__":
    unittest.main()
