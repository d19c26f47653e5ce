#!/usr/bin/env python
# Nightly scoring batch: score the day's applications, print the band counts.
#
#   usage: python run_batch.py [--calls N] [--seed S] [--mode same|shifted|new-region]
#
# The applications come from the intake system, which we cannot ship; this stands in for
# it with a synthetic day. --mode picks the day: "same" draws from the usual mix,
# "shifted" has incomes 0.25 log units higher (a wage round), "new-region" adds
# applications from a region that opened after the sheet was written.

import argparse
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from scoring import score_applicant

REGIONS = ["north", "south", "east", "west", "capital"]
REGION_SHARE = [0.25, 0.2, 0.2, 0.15, 0.2]
EMPLOYMENT = ["salaried", "self-employed", "retired", "student"]
EMPLOYMENT_SHARE = [0.6, 0.15, 0.15, 0.1]
INCOME_SHIFT = 0.25  # log units, in --mode shifted
NEW_REGION, NEW_REGION_SHARE = "islands", 0.1


def applications(n, seed, mode="same"):
    rng = np.random.default_rng(seed)
    income = rng.lognormal(math.log(42000.0), 0.55, size=n)
    if mode == "shifted":
        income = income * math.exp(INCOME_SHIFT)
    debt = rng.lognormal(math.log(9000.0), 0.8, size=n)
    age = rng.integers(18, 80, size=n)
    age[rng.random(n) < 0.005] = 17  # the intake form does not check
    region = rng.choice(REGIONS, size=n, p=REGION_SHARE)
    if mode == "new-region":
        region[rng.random(n) < NEW_REGION_SHARE] = NEW_REGION
    employment = rng.choice(EMPLOYMENT, size=n, p=EMPLOYMENT_SHARE)
    prior_default = rng.random(n) < 0.08
    for i in range(n):
        yield {
            "id": "A%06d" % i,
            "income": round(float(income[i]), 2),
            "debt": round(float(debt[i]), 2),
            "age": int(age[i]),
            "region": str(region[i]),
            "employment": str(employment[i]),
            "prior_default": bool(prior_default[i]),
        }


def main(argv):
    parser = argparse.ArgumentParser(description="score one day of applications")
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mode", choices=["same", "shifted", "new-region"], default="same")
    options = parser.parse_args(argv[1:])
    bands = {}
    rejected = 0
    for application in applications(options.calls, options.seed, options.mode):
        try:
            result = score_applicant(application)
        except ValueError:
            rejected += 1
            continue
        bands[result["band"]] = bands.get(result["band"], 0) + 1
    print("scored %d applications, rejected %d" % (sum(bands.values()), rejected))
    for band in sorted(bands):
        print("  band %s: %d" % (band, bands[band]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
