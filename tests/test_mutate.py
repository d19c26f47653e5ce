"""mutate: the mutants made, survivors reported with lines, and the acceptance run on
the legacy_rules example (record a typical day, characterize, then every mutant dies)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from cli_runner import run_cli

from legacy_harness.config import Config
from legacy_harness.errors import HarnessError
from legacy_harness.record.recorder import Recorder
from legacy_harness.verify import VerifySession
from legacy_harness.widen.mutate import mutant_code, mutants_of
from legacy_harness.widen.strength import MutantStatus, run_mutants

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "examples" / "legacy_rules"

SOURCE = '''
LIMIT = 10


def check(x, flag):
    """Docstrings are not mutated."""
    total = x + 1
    if x >= LIMIT and flag:
        return "high"
    return "low" if total < 5 else "mid"


class Counter:
    def __init__(self):
        self.n = 0

    def bump(self):
        self.n += 1
        return super().__repr__() is not None
'''


@pytest.fixture
def module(make_module: Callable[..., ModuleType]) -> ModuleType:
    return make_module(SOURCE)


def session_with(module: ModuleType, tmp_path: Path, calls: Callable[[], object]) -> VerifySession:
    session = VerifySession.open(
        Config(root=tmp_path, store=tmp_path / "golden", pythonpath=(tmp_path,))
    )
    recorder = Recorder([f"{module.__name__}:check"], session.store)
    recorder.start()
    try:
        calls()
    finally:
        recorder.stop()
    return session


def test_mutants_cover_the_operator_set(module: ModuleType) -> None:
    mutants = mutants_of(f"{module.__name__}:check")
    described = {(m.operator, m.line, m.description) for m in mutants}
    assert ("comparison", 8, ">= -> >") in described and ("comparison", 8, ">= -> <") in described
    assert ("comparison", 10, "< -> <=") in described and ("comparison", 10, "< -> >=") in described
    assert ("constant", 7, "1 -> 2") in described and ("constant", 7, "1 -> 0") in described
    assert ("constant", 10, "5 -> 4") in described
    assert ("boolean", 8, "and -> or") in described
    assert ("delete", 7, "delete total = x + 1") in described
    assert ("delete", 9, 'delete return "high"') in described
    assert not any(m.line == 6 for m in mutants)  # the docstring
    assert [m.index for m in mutants] == list(range(len(mutants)))


def test_mutant_code_keeps_lines_and_fits_closures(module: ModuleType) -> None:
    spec = f"{module.__name__}:check"
    flip = next(m for m in mutants_of(spec) if m.description == ">= -> >")
    code = mutant_code(module.check, spec, flip.index)
    assert code.co_firstlineno == module.check.__code__.co_firstlineno
    original = module.check.__code__
    module.check.__code__ = code
    try:
        assert module.check(10, True) == "mid"  # the mutant: 10 > 10 is false
    finally:
        module.check.__code__ = original
    assert module.check(10, True) == "high"
    # a method using super() has a __class__ cell; its mutants must fit it
    method_spec = f"{module.__name__}:Counter.bump"
    for mutant in mutants_of(method_spec):
        made = mutant_code(module.Counter.bump, method_spec, mutant.index)
        assert made.co_freevars == module.Counter.bump.__code__.co_freevars


def test_weak_masters_leave_survivors_with_their_lines(module: ModuleType, tmp_path: Path) -> None:
    session = session_with(
        module, tmp_path, lambda: (module.check(20, True), module.check(1, False))
    )
    report = run_mutants(session, f"{module.__name__}:check")
    assert report.total == len(mutants_of(f"{module.__name__}:check"))
    survivors = {(m.line, m.description) for m in report.survivors}
    assert (8, ">= -> >") in survivors  # no case at x == 10
    assert (7, "delete total = x + 1") not in survivors  # NameError: killed
    assert 0 < report.score < 100
    text = report.render(module.__file__)
    assert "survived line 8 (>= -> >): if x >= LIMIT and flag:" in text
    assert module.check(10, True) == "high"  # the original code is back


def test_strong_masters_kill_every_mutant(module: ModuleType, tmp_path: Path) -> None:
    def calls() -> None:
        for x in (3, 4, 5, 9, 10, 11):
            for flag in (True, False):
                module.check(x, flag)
        module.check(-1, True)

    session = session_with(module, tmp_path, calls)
    report = run_mutants(session, f"{module.__name__}:check")
    assert report.survivors == [] and report.score == 100.0


run = run_cli


def test_acceptance_legacy_rules_record_characterize_full_coverage_no_survivors(
    tmp_path: Path,
) -> None:
    """ACCEPTANCE (about 15 s): a typical day recorded, then characterize, reaches 100%
    branch coverage of both targets and kills every mutant (none of the eligibility
    mutants is equivalent, see docs/widen.md)."""
    project = tmp_path / "legacy_rules"
    shutil.copytree(RULES, project, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    targets = ["-t", "eligibility:eligibility", "-t", "eligibility:risk_band"]
    done = run(project, "record", *targets, "--", "run_daily.py")
    assert done.returncode == 0, done.stderr
    done = run(project, "coverage", "--no-missing")
    assert "eligibility:eligibility  58.9%" in done.stdout, done.stdout
    done = run(project, "characterize", *targets, "--max-examples", "100", "--budget", "20")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "coverage 58.9% -> 100.0%" in done.stdout, done.stdout
    done = run(project, "coverage", "--fail-under", "100")
    assert done.returncode == 0, done.stdout
    assert "branches 36/36" in done.stdout and "branches 8/8" in done.stdout
    done = run(project, "mutate", *targets, "--fail-under", "100")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "eligibility:eligibility: 133 of 133 mutants killed (100.0%)" in done.stdout
    assert "eligibility:risk_band: 17 of 17 mutants killed (100.0%)" in done.stdout
    assert "survived line" not in done.stdout and "survived 0" in done.stdout
    done = run(project, "verify")
    assert done.returncode == 0, done.stdout
    done = run(project, "minimize", "--keep-boundary")
    assert done.returncode == 0 and "coverage 100.0% -> 100.0%" in done.stdout, done.stdout


DEFAULTS = """
import random

RATE = 0.2


def priced(amount, rate=RATE, rng=random):
    if amount > 100:
        return amount * (1 - rate)
    return amount
"""


def test_defaults_naming_module_globals_compile_in_the_module_namespace(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> None:
    module = make_module(DEFAULTS)
    spec = f"{module.__name__}:priced"
    session = VerifySession.open(
        Config(root=tmp_path, store=tmp_path / "golden", pythonpath=(tmp_path,))
    )
    recorder = Recorder([spec], session.store)
    recorder.start()
    try:
        for amount in (50, 100, 101, 300):
            module.priced(amount)
    finally:
        recorder.stop()
    report = run_mutants(session, spec)
    assert not [r for r in report.results if r.status == MutantStatus.INVALID]
    assert report.killed >= 1 and report.total >= 4
    assert module.priced.__defaults__ == (0.2, module.random)  # the module is untouched


def test_mutate_refuses_when_masters_already_fail(module: ModuleType, tmp_path: Path) -> None:
    session = session_with(module, tmp_path, lambda: [module.check(x, True) for x in (1, 12)])
    module.LIMIT = 100  # today's code no longer matches the masters
    try:
        with pytest.raises(HarnessError, match=r"1 of 2 masters of .* already fail"):
            run_mutants(session, f"{module.__name__}:check")
    finally:
        module.LIMIT = 10
