# scoring.py -- credit application scoring, v2 ("the spreadsheet port", 2015)
#
# Risk asked for the numbers to match the old Excel sheet to the point, so the odd
# constants stay. The nightly batch (run_batch.py) scores the day's applications.

import math

REGION_RISK = {"north": 0.9, "south": 1.1, "east": 1.0, "west": 0.95, "capital": 1.2}
EMPLOYMENT_POINTS = {"salaried": 40, "self-employed": 15, "retired": 25, "student": 5}
BANDS = [(720, "A"), (650, "B"), (580, "C")]
MIN_AGE = 18


def affordability(income, debt):
    """Share of income left after debt service, scaled to 0..1 (0 above a 60% ratio)."""
    if income <= 0:
        raise ValueError("income must be positive, got %r" % (income,))
    ratio = debt / income
    if ratio > 0.6:
        return 0.0
    return round(1.0 - ratio / 0.6, 4)


def risk_band(points):
    for floor, band in BANDS:
        if points >= floor:
            return band
    return "D"


def score_applicant(applicant):
    if applicant["age"] < MIN_AGE:
        raise ValueError("applicant %s is under %d" % (applicant["id"], MIN_AGE))
    afford = affordability(applicant["income"], applicant["debt"])
    points = 300 + 120 * math.log10(applicant["income"] / 10000.0)
    points += min(applicant["age"], 65) * 2
    points += EMPLOYMENT_POINTS.get(applicant["employment"], 0)
    points += 200 * afford
    # regions the sheet did not know get the neutral factor (added in 2017 for "east")
    points = points / REGION_RISK.get(applicant["region"], 1.0)
    if applicant["prior_default"]:
        points -= 120
    points = int(round(points))
    band = risk_band(points)
    return {"id": applicant["id"], "points": points, "band": band, "approved": band in ("A", "B")}
