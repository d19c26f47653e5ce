#!/usr/bin/env bash
# The whole legacy-harness workflow on the bundled examples, in a temporary copy:
# record, verify, coverage, characterize, mutate, refactor with --verify, review, check;
# then hermetic replay of a job that uses a database, the clock, HTTP and files.
#
#   bash examples/walkthrough.sh            # needs legacy-harness installed (pip install .)
#   bash examples/walkthrough.sh WORKDIR    # keep the copy in WORKDIR to look around
#
# Every command is printed before it runs; the script stops at the first failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
cp -R "$here/legacy_pricing" "$here/legacy_ml" "$work/"
rm -rf "$work"/legacy_*/tests "$work"/legacy_*/__pycache__ "$work/legacy_ml/predictions.csv"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

# --------------------------------------------------------------------------------
# 1. A tangled pricing module: nested rules, in-place updates, prints, errors.
cd "$work/legacy_pricing"

# Record every call of the two functions while the month-end job runs for real.
step legacy-harness record --target billing:compute_invoice --target shop:Cart.checkout \
    -- run_month_end.py 2024-03

# Replay each recorded call against today's code: the net holds.
step legacy-harness verify

# Which lines and branches do the recordings reach? (the month-end run misses a few)
step legacy-harness coverage

# Fill the holes: Hypothesis generates inputs and records those that reach new code,
# plus boundary cases around the comparisons. Coverage is then 100%. Then it hunts the
# mutants the masters let survive and records the inputs that kill them.
step legacy-harness characterize --target billing:compute_invoice --target shop:Cart.checkout \
    --max-examples 100 --budget 20
step legacy-harness coverage --fail-under 100

# Coverage is not strength. The strength report: per target the mutants (small changes
# to the code), how many the masters kill, the equivalent ones (named, with why) and
# the survivors with their lines. Saved to tests/golden/.legacy-harness/mutation.json.
step legacy-harness mutate --target billing:compute_invoice --target shop:Cart.checkout --jobs 2

# Refactor in a safe step: the volume-discount block becomes a function. --verify
# replays the masters before and after, and would restore the file if anything changed.
step legacy-harness refactor extract-function --function compute_invoice --lines 91-99 \
    --name volume_discount billing.py --apply --verify

# Review: mark the recorded and generated cases as reviewed (who, when, which commit),
# then run the CI gate as CI would.
step legacy-harness approve --all
step legacy-harness check --min-coverage 90 --junit-xml reports/legacy-harness.xml

# --------------------------------------------------------------------------------
# 2. A numpy ML pipeline that calls the global np.random and stamps its predictions.
cd "$work/legacy_ml"

# Record the training and scoring calls; --runs 50 also replays each case with 50
# distinct seeds and keeps what varies as a statistical master. It reports that
# scored_at is never the same twice and prints the scrubber to add.
step legacy-harness record --target model:SGDClassifier.fit --target model:kmeans \
    --target scoring:score_batch --runs 50 -- train_and_score.py

# Add the suggested scrubber, then check stability over three replays of the same code.
cat >> pyproject.toml <<'TOML'

[[tool.legacy_harness.targets."scoring:score_batch".scrub]]
path = "outcome[*].scored_at"
builtin = "dates"
TOML
step legacy-harness verify --exact --runs 3

# Exact masters restore the recorded RNG state: replay is bit for bit.
step legacy-harness verify --exact

# Give SGDClassifier.fit a seam: global np.random calls go through an rng parameter
# whose default is the same global generator, so behaviour stays bit-identical.
step legacy-harness refactor inject-rng --function SGDClassifier.fit model.py --apply --verify

# The statistical masters agree too (fresh seeds, Holm-corrected tests per leaf); plain
# verify, check and pytest judge them so, and keep every other leaf exact.
step legacy-harness verify

step legacy-harness approve --all
step legacy-harness check

# --------------------------------------------------------------------------------
# 3. A month-end billing job that talks to the world: a sqlite database, the clock, a
#    rates service over HTTP (started on 127.0.0.1 by the job's driver) and a CSV under
#    out/. Its pyproject.toml declares those boundaries; the --boundary flags say the same.
cp -R "$here/legacy_billing" "$work/"
rm -rf "$work/legacy_billing/tests" "$work/legacy_billing/out" "$work/legacy_billing/billing.db"
cd "$work/legacy_billing"

# Record while the job runs for real: every case tapes the rows it read, the rows it
# inserted, the instants it saw, the requests it made and the file it wrote.
step legacy-harness record --target invoicing:generate_invoice --target invoicing:write_report \
    --boundary sqlite3 --boundary clock --boundary http --boundary files -- run_billing.py 2024-03

# The job stopped its service; now the database and the report go too. Replay answers
# from the tapes, compares the writes, and touches nothing.
step rm billing.db
step rm -r out
step legacy-harness verify
test ! -e billing.db && test ! -e out

printf '\nDone. The characterized, refactored examples are in %s\n' "$work"
