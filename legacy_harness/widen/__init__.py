"""Widen the net of golden masters: see what they miss, fill the holes, keep it lean,
and know how strong it is. Coverage is not the stopping rule; the mutants are.

- :mod:`.measure`: line and branch coverage of each target by its masters (coverage.py);
- :mod:`.characterize`: Hypothesis-generated cases for the code the masters miss,
  boundary cases around the target's comparisons, then the mutant hunt;
- :mod:`.search`: the hunt for inputs that kill the mutants the masters let survive;
- :mod:`.calls`: calls as values, and the leaves of their nested inputs;
- :mod:`.minimize`: the smallest set of cases that keeps coverage, outcome kinds and
  the mutants cases were kept for killing;
- :mod:`.mutate`: the mutants of a target, and which are equivalent by bytecode;
- :mod:`.strength`: mutation testing, the strength report and ``mutation.json``.
"""
