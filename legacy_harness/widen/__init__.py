"""Widen the net of golden masters: see what they miss, fill the holes, keep it lean.

- :mod:`.measure`: line and branch coverage of each target by its masters (coverage.py);
- :mod:`.characterize`: Hypothesis-generated cases for the code the masters miss, plus
  boundary cases around the target's comparisons;
- :mod:`.minimize`: the smallest set of cases that keeps coverage and outcome kinds;
- :mod:`.mutate`: mutation testing, how many small changes the masters would notice.
"""
