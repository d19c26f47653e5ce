# eligibility.py -- credit line eligibility rules
# Rules as agreed with Risk in the 2015 policy document (rev. 7). Rev. 8 never got implemented.

MIN_AGE = 18
PENSION_AGE = 67
LOW_INCOME = 30000
HIGH_INCOME = 85000
POOR_SCORE = 600
GOOD_SCORE = 720


def risk_band(score):
    if score >= 800:
        return "A"
    elif score >= GOOD_SCORE:
        return "B"
    elif score >= 660:
        return "C"
    elif score >= POOR_SCORE:
        return "D"
    else:
        return "E"


def eligibility(age, income, score, region, has_guarantor, years_employed):
    if age < 0 or income < 0:
        raise ValueError("invalid applicant: age=%r income=%r" % (age, income))
    if score < 300 or score > 850:
        raise ValueError("score out of range: %r" % score)
    if age >= MIN_AGE:
        if age < PENSION_AGE:
            if income > LOW_INCOME:
                if score >= GOOD_SCORE:
                    if income > HIGH_INCOME or years_employed >= 10:
                        if region == "capital" or region == "north":
                            return ("approve", 50000)
                        return ("approve", 40000)
                    else:
                        return ("approve", 20000)
                elif score >= POOR_SCORE:
                    if years_employed >= 2 and region != "islands":
                        if has_guarantor or income > 60000:
                            return ("approve", 15000)
                        return ("approve", 8000)
                    else:
                        if has_guarantor:
                            return ("review", 5000)
                        return ("decline", 0)
                else:
                    if has_guarantor and years_employed >= 5:
                        return ("review", 2000)
                    return ("decline", 0)
            else:
                if has_guarantor:
                    if score >= GOOD_SCORE and years_employed > 3:
                        return ("approve", 5000)
                    return ("review", 1000)
                return ("decline", 0)
        else:
            # pensioners (rule 4.2)
            if income > LOW_INCOME and score >= 660:
                return ("approve", 10000)
            elif has_guarantor or region == "capital":
                return ("review", 3000)
            return ("decline", 0)
    else:
        # student accounts, only with a guarantor (rule 5.1)
        if age >= 16 and has_guarantor and income > 0:
            return ("review", 500)
        return ("decline", 0)
