"""Write docs/docs-and-drift.md, with a page and a drift report produced on the spot.

    python docs/gen_docs_and_drift.py > docs/docs-and-drift.md

It records the bundled scoring example in a temporary copy, writes its behaviour pages
and runs ``drift`` on a day with higher incomes; the page and the report in the document
are those outputs, verbatim. tests/project/test_docs_and_drift.py fails when the document
differs from what this prints.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "legacy_scoring"
TARGETS = ["scoring:score_applicant", "scoring:affordability", "scoring:risk_band"]


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "legacy_harness", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def outputs() -> tuple[str, str]:
    """(the Markdown page of scoring:score_applicant, the text report of a shifted day)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "legacy_scoring"
        shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("tests", "__pycache__"))
        flags = [word for target in TARGETS for word in ("--target", target)]
        done = _run(root, "record", *flags, "--", "run_batch.py", "--seed", "1")
        if done.returncode:
            raise SystemExit(done.stderr)
        done = _run(root, "docs", "--out", "behaviour")
        if done.returncode:
            raise SystemExit(done.stderr)
        page = (root / "behaviour" / "scoring-score_applicant.md").read_text(encoding="utf-8")
        drift = _run(root, "drift", "--", "run_batch.py", "--seed", "3", "--mode", "shifted")
        if drift.returncode != 1:
            raise SystemExit(drift.stdout + drift.stderr)
        report = drift.stdout[drift.stdout.index("legacy-harness drift:") :]
        return page, report


def shown_page(page: str) -> str:
    """The page as a section of this document: headings two levels down, no index link."""
    lines = []
    for line in page.splitlines():
        if line.startswith("<!--") or line == "[All targets](index.md)":
            continue
        lines.append("##" + line if re.match(r"#+ ", line) else line)
    return "\n".join(lines).strip() + "\n"


TEMPLATE = r"""# Behaviour pages and input drift

Two commands read what the golden masters know and show it to people:

- `legacy-harness docs` writes a **behaviour page** per target from the store: what the
  target takes, returns, raises, reads and writes, with examples that take every branch
  the masters take. Pages are deterministic, so you commit them and review them like code;
  `check --docs DIR` fails when they are stale.
- `legacy-harness drift` runs production work with the targets observed but nothing
  stored, and tells whether today's inputs still look like those the masters were
  recorded from. When they do not, the masters may not cover what the code meets now.

The page and the report below were produced by `docs/gen_docs_and_drift.py` on the bundled
`examples/legacy_scoring` job, and `tests/project/test_docs_and_drift.py` checks that this document
holds exactly what the commands print today.

## `legacy-harness docs`

```sh
legacy-harness docs --out docs/behaviour                 # Markdown (a code host shows it)
legacy-harness docs --format html --out site             # a static site: a page per target and an index
legacy-harness docs scoring:score_applicant --out docs/behaviour   # only some targets
legacy-harness check --docs docs/behaviour               # exit 3 when the committed pages are stale
```

Each page holds:

| section | where it comes from |
|---|---|
| signature and **Inputs** | the encoded inputs of every case: the types seen per parameter (a union; `\| None` where `None` was seen), number ranges, distinct strings, numpy dtypes and shape ranges, pandas columns; keys of dict arguments, items of lists and attributes of `self` one row each |
| **Examples** | cases chosen by a greedy set cover so that together they take every branch the masters take (each case is replayed under coverage.py with a context of its own); *branches* lists those each example takes first; one example per exception type too |
| **Exceptions** | every exception type with its most frequent messages and the inputs that raise them |
| **Boundaries** | the interactions on the cases' tapes (database reads, HTTP calls, files, clock), when the store has tapes |
| **Calls between targets** | who called whom while recording, with the number of calls, as a Mermaid graph (an inline SVG in HTML); `(program)` is code that is no target |
| **Coverage and strength** | `legacy-harness coverage`'s figures and the branches no master takes; the mutation score when `mutate` left one |
| **Stochastic results** | for statistical masters (`record --runs N`): mean, spread, range and a histogram of each leaf that varies with the seed |

Nothing is decoded to build a page: values are read from their encoded form, so no class
named in a golden file is imported. The same store and code give the same bytes (no time
stamps, sorted everything, statistics rounded to six digits). `docs` only replaces or
removes files that start with its marker line, so a hand-written file in the folder stays.
The HTML pages need no server and load nothing (style inline, no script); the test suite
opens them in headless Chromium and fails on any console error.

The mutation score is read from `<store>/.legacy-harness/mutation.json`:

```json
{"format": 1,
 "targets": {"billing:compute_invoice": {"killed": 41, "total": 45, "source_hash": "3f2a9c01d2e4b5a6"}}}
```

`source_hash` is the target's source fingerprint when the score was measured; when the
code changed since, the page says the score was measured on an earlier version.
`legacy_harness.check.docs.write_mutation_score(store, target, killed, total, source_hash)`
writes one entry.

### A generated page

The Markdown page of `scoring:score_applicant`, as `docs` wrote it (headings moved two
levels down to sit in this document):

{{PAGE}}
## `legacy-harness drift`

```sh
legacy-harness drift -- run_batch.py --mode shifted       # a script, as record runs it
legacy-harness drift --store tests/golden -- -m nightly.batch
legacy-harness drift --format json -- run_batch.py        # the report as JSON on stdout
legacy-harness drift --json drift.json --target scoring:score_applicant -- run_batch.py
```

### The input profile

`record` keeps, beside the masters, an **input profile** per target of *all* the calls
it saw, not only the stored cases: `<store>/.legacy-harness/profiles/<module>/<qualname>.json`.
Per leaf of the inputs (an argument, a key of a dict argument, an attribute of `self`, a
column of a 2-d array or a data frame, the items of a list as `[*]`, `len(...)` of lists):

- numbers: a reservoir sample of at most 2,000 values, uniform over every value seen
  (taken in vectorised batches), with the exact count, minimum and maximum;
- categories (strings, bools, `None`, enum members, non-finite floats): exact counts of
  at most 64 distinct values, the rest in one "other" bucket;
- arrays and frames: dtype and every dimension of the shape; at most 256 values of one
  argument per call, so a large argument costs no more than a small one.

The profile is written at the end of the recording with sorted keys and sorted samples:
the same calls give the same bytes. `record --mode new` adds to an existing profile;
`--mode all` starts it again. Cases generated by `characterize` are not production
inputs and leave the profile alone. Redaction rules apply: a leaf named by a key rule
keeps its count and no value, and patterns are applied to category labels.

### The comparison

`drift` runs the program with every profiled target observed (`--target` for some) and
builds the same profile for this run, counting every category the recording counted.
Then, per leaf:

| test | for | effect size beside it |
|---|---|---|
| Kolmogorov-Smirnov | numbers | population stability index (PSI, on the recorded deciles) and the Wasserstein distance, in the leaf's unit and in recorded standard deviations |
| chi-square (Fisher's exact test when the table is too thin) | categories, and whole numbers with at most `small_ints` distinct values | PSI |
| exact test of new values | a category never seen when recording, numbers beyond the recorded range | the share of this run's values |

Holm's correction runs over every test of the run at `alpha`. A leaf counts as **moved**
only when a test rejects *and* its effect reaches the bar: PSI at least `min_psi` or a
Wasserstein distance of `min_shift` standard deviations, or a share `min_new` of new
values. That is what keeps a large sample from flagging a trivial move. On 3,000 calls a
day, a day drawn from the recorded distribution passes in at least 99 of 100 seeds, a
0.25-log-unit income shift and a new region are named, and the leaves that did not move
are not (`tests/drift/test_drift.py`).

```toml
[tool.legacy_harness.drift]
alpha = 0.05        # family-wise false-alarm rate (Holm)
min_psi = 0.1       # below 0.1 the usual reading is "no real change"
min_shift = 0.1     # Wasserstein distance in recorded standard deviations
min_new = 0.005     # share of calls with values never seen before
small_ints = 12     # whole numbers with at most this many values are categories
```

Exit codes: 0 when nothing moved, 1 when something did, 2 on usage errors, a store
without profiles, or a program that failed (the report still covers the calls made).

### A drift report

The scoring example recorded from one day, then a day whose incomes are 0.25 log units
higher (`run_batch.py --seed 3 --mode shifted`). The incomes moved, and so did the points
computed from them; the ages, regions, debts and the rest did not and are not named:

```text
{{DRIFT}}
```
"""


def document() -> str:
    page, report = outputs()
    return TEMPLATE.replace("{{PAGE}}", shown_page(page)).replace("{{DRIFT}}", report.rstrip("\n"))


if __name__ == "__main__":
    sys.stdout.write(document())
