#!/usr/bin/env python
# Daily batch: decisions for yesterday's applications (a typical day, copied from the log).
#
#   usage: python run_daily.py

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from eligibility import eligibility, risk_band

# (ref, age, income, score, region, has_guarantor, years_employed)
APPLICATIONS = [
    ("A-1001", 34, 52000, 745, "south", False, 6),
    ("A-1002", 41, 98000, 790, "capital", False, 15),
    ("A-1003", 29, 38000, 680, "north", False, 3),
    ("A-1004", 52, 72000, 640, "south", False, 20),
    ("A-1005", 23, 31000, 610, "capital", False, 1),
    ("A-1006", 45, 120000, 812, "north", True, 18),
    ("A-1007", 38, 45000, 560, "south", False, 8),
    ("A-1008", 31, 64000, 705, "west", False, 4),
    ("A-1009", 27, 33000, 590, "capital", False, 2),
    ("A-1010", 58, 88000, 760, "west", False, 30),
    ("A-1011", 36, 41000, 655, "south", True, 5),
    ("A-1012", 22, 28000, 640, "north", False, 1),
    ("A-1013", 47, 56000, 733, "capital", False, 7),
    ("A-1014", 33, 49000, 615, "west", False, 1),
    ("A-1015", 44, 67000, 702, "north", False, 12),
]


def main():
    counts = {}
    total_limit = 0
    for ref, age, income, score, region, guarantor, years in APPLICATIONS:
        decision, limit = eligibility(age, income, score, region, guarantor, years)
        band = risk_band(score)
        counts[decision] = counts.get(decision, 0) + 1
        total_limit += limit
        print("%s  band %s  %-8s %6d" % (ref, band, decision, limit))
    print("")
    print("decisions: %s" % ", ".join("%s=%d" % (k, counts[k]) for k in sorted(counts)))
    print("total credit granted: %d" % total_limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
