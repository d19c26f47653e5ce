"""mutate: the mutants made, survivors reported with lines, and the acceptance run on
the legacy_rules example (record a typical day, characterize, then every mutant dies)."""

from __future__ import annotations

import json
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from cli_runner import run_cli
from paths import REPO

from legacy_harness.config import Config
from legacy_harness.errors import HarnessError
from legacy_harness.record.recorder import Recorder
from legacy_harness.verify import VerifySession
from legacy_harness.widen.mutate import mutant_code, mutants_of
from legacy_harness.widen.strength import MutantStatus, run_mutants

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
    done = run(project, "characterize", *targets, "--max-examples", "100", "--budget", "60")
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


# -- equivalence, selection, parallel and incremental runs, the saved scores --------

DEAD = """
def f(x):
    if x > 0:
        return x
    return -x
    print(7)
"""


def record_calls(session: VerifySession, spec: str, calls: Callable[[], object]) -> None:
    recorder = Recorder([spec], session.store)
    recorder.start()
    try:
        calls()
    finally:
        recorder.stop()


def open_session(tmp_path: Path) -> VerifySession:
    return VerifySession.open(
        Config(root=tmp_path, store=tmp_path / "golden", pythonpath=(tmp_path,))
    )


def test_mutants_with_the_originals_bytecode_are_named_equivalent_and_not_run(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> None:
    module = make_module(DEAD)
    spec = f"{module.__name__}:f"
    session = open_session(tmp_path)
    record_calls(session, spec, lambda: [module.f(x) for x in (-3, 0, 1, 4)])
    report = run_mutants(session, spec)
    equivalent = {(r.mutant.description, r.why) for r in report.equivalents}
    same = "compiles to the same bytecode as the original"
    assert equivalent == {("7 -> 8", same), ("7 -> 6", same)}
    assert all(r.status == MutantStatus.EQUIVALENT for r in report.equivalents)
    # `> -> >=` and `0 -> -1` differ only at 0, where x and -x agree, and dead code is
    # never run: survivors no replay can kill, but only a search can say so
    survivors = {(m.line, m.description) for m in report.survivors}
    assert survivors == {(3, "> -> >="), (3, "0 -> -1"), (6, "delete print(7)")}
    assert report.total == report.mutants - 2 and report.score < 100
    text = report.render(module.__file__)
    assert "equivalent line 6 (7 -> 8): print(7)" in text
    assert f"    {same}" in text


def test_only_the_cases_that_run_a_mutants_lines_are_replayed(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> None:
    module = make_module(SOURCE)
    spec = f"{module.__name__}:check"
    session = open_session(tmp_path)
    # every case takes the `x >= LIMIT and flag` path: line 10 is never run
    record_calls(session, spec, lambda: [module.check(x, True) for x in (10, 11, 20, 30)])
    report = run_mutants(session, spec)
    unreached = [r for r in report.results if r.why.startswith("no case runs line 10")]
    assert unreached and all(r.status == MutantStatus.SURVIVED for r in unreached)
    assert all(r.mutant.line == 10 for r in unreached)
    # each judged mutant is replayed at most against all four cases, and the unreached
    # ones against none
    judged = [r for r in report.results if r.status in (MutantStatus.KILLED, MutantStatus.SURVIVED)]
    assert report.replays <= 4 * (len(judged) - len(unreached))


def test_jobs_give_the_same_verdicts_as_one_process(
    module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from legacy_harness.parallel import LocalExecutor
    from legacy_harness.widen import strength

    session = session_with(
        module,
        tmp_path,
        lambda: [module.check(x, f) for x in (1, 4, 10, 11) for f in (True, False)],
    )
    spec = f"{module.__name__}:check"
    alone = run_mutants(session, spec)
    # so little work stays in this process even when more jobs are asked for
    small = run_mutants(session, spec, jobs=2)
    assert small.jobs == 1 and small.runs_on == "in-process: too little work to spread"
    monkeypatch.setattr(strength, "MIN_SPREAD_SECONDS", 0.0)
    seen: list[tuple[int, int]] = []
    parallel = run_mutants(session, spec, jobs=2, progress=lambda d, t: seen.append((d, t)))
    assert [(r.mutant.index, r.status) for r in parallel.results] == [
        (r.mutant.index, r.status) for r in alone.results
    ]
    assert parallel.jobs == 2 and parallel.runs_on == "2 local processes"
    assert seen[-1][0] == seen[-1][1]
    assert module.check(10, True) == "high"  # the parent's code was never swapped
    with LocalExecutor(2) as executor:  # any executor of legacy_harness.parallel
        again = run_mutants(session, spec, executor=executor)
    assert [r.status for r in again.results] == [r.status for r in alone.results]
    # a worker that did not fork from here (spawned, or on a Dask cluster) gets the job
    # pickled and loads the target and cases itself
    paths = tuple(str(s.path) for s in session.store.iter_cases([spec]))  # type: ignore[union-attr]
    job = pickle.loads(pickle.dumps(strength.MutantJob(session.config, spec, paths, 2.0)))
    batch = [(r.mutant.index, list(range(len(paths)))) for r in alone.results[:4]]
    assert job.key not in strength._RUNNERS
    judged = strength.judge_batch(job, batch)
    assert [status for _, status, _, _ in judged] == [r.status for r in alone.results[:4]]


def git(folder: Path, *args: str) -> None:
    import subprocess

    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=folder, check=True, capture_output=True,
    )  # fmt: skip


def test_changed_runs_only_the_mutants_on_lines_changed_since_a_ref(tmp_path: Path) -> None:
    from legacy_harness.widen.strength import changed_lines

    project = tmp_path / "proj"
    project.mkdir()
    (project / "rules.py").write_text(SOURCE)
    (project / "run.py").write_text(
        "from rules import check\nfor x in (1, 4, 10, 11):\n    check(x, True)\n"
    )
    with pytest.raises(HarnessError, match="is not in a git checkout; drop --changed"):
        changed_lines(str(project / "rules.py"), "HEAD")
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-qm", "rules")
    assert changed_lines(str(project / "rules.py"), "HEAD") == set()
    (project / "rules.py").write_text(SOURCE.replace('return "high"', 'return "HIGH"'))
    assert changed_lines(str(project / "rules.py"), "HEAD") == {9}
    with pytest.raises(HarnessError, match="--changed nosuchref: git knows no such commit"):
        changed_lines(str(project / "rules.py"), "nosuchref")
    with pytest.raises(HarnessError, match="not a git ref"):
        changed_lines(str(project / "rules.py"), "--output=x")

    assert run(project, "record", "-t", "rules:check", "--", "run.py").returncode == 0
    done = run(project, "mutate", "--changed", "HEAD")
    assert done.returncode == 0, done.stderr
    assert "on lines changed since HEAD" in done.stdout, done.stdout
    assert "mutants 1, killed 1" in done.stdout  # `delete return "HIGH"` only
    assert "mutants on unchanged lines not run" in done.stdout
    # partial: not saved (the folder holds record's input profiles, not a score)
    assert not (project / "tests" / "golden" / ".legacy-harness" / "mutation.json").exists()
    done = run(project, "mutate", "--changed", "HEAD", "-t", "rules:Counter.bump")
    assert "rules:Counter.bump: no line changed since HEAD" in done.stdout, done.stdout


def test_the_saved_scores_file_is_stable_and_carries_search_verdicts(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> None:
    from legacy_harness.record.targets import source_hash
    from legacy_harness.widen.strength import (
        MUTATION_FILE,
        claims_for,
        notes_for,
        read_scores,
        write_scores,
    )

    module = make_module(DEAD)
    spec = f"{module.__name__}:f"
    session = open_session(tmp_path)
    record_calls(session, spec, lambda: [module.f(x) for x in (-3, 4)])
    report = run_mutants(session, spec)
    path = write_scores(session.store.root, [report], {spec: module.__file__})
    assert path == session.store.root / MUTATION_FILE
    first = path.read_bytes()
    write_scores(session.store.root, [run_mutants(session, spec)], {spec: module.__file__})
    assert path.read_bytes() == first  # an unchanged net rewrites no byte
    data = json.loads(first)
    entry = data["targets"][spec]
    assert data["format"] == 1
    assert entry["source_hash"] == source_hash(module.f) and entry["cases"] == 2
    assert {"mutants", "killed", "equivalent", "survived", "score", "survivors"} <= set(entry)
    survivor = entry["survivors"][0]
    assert {"line", "column", "operator", "description", "source"} <= set(survivor)

    # a survivor characterize searched and could not kill is named, not counted
    entry["equivalents"].append({**survivor, "kind": "unkilled", "why": "no input told it apart"})
    claims = claims_for(entry, source_hash(module.f))
    assert list(claims.values()) == ["no input told it apart"]
    again = run_mutants(session, spec, claims=claims)
    unkilled = [r for r in again.results if r.status == MutantStatus.UNKILLED]
    assert [r.why for r in unkilled] == ["no input told it apart"]
    assert len(again.survivors) == len(report.survivors) - 1
    assert claims_for(entry, "another source") == {}  # the code moved: claims lapse

    # a survivor the hunt never got to where it flips stays a survivor, with its why
    hole = {**entry["survivors"][-1], "hunted": True, "why": "not killed: came within 2"}
    notes = notes_for({**entry, "survivors": [hole]}, source_hash(module.f))
    assert list(notes.values()) == ["not killed: came within 2"]
    noted = run_mutants(session, spec, notes=notes)
    assert len(noted.survivors) == len(report.survivors)  # still counted against the net
    (hunted,) = [r for r in noted.results if r.hunted]
    assert hunted.status == MutantStatus.SURVIVED and hunted.why == "not killed: came within 2"
    assert "    hunted, not killed: came within 2" in noted.render()
    assert noted.to_data()["survivors"][-1]["hunted"] is True

    # the file is data from the repository: a bad one is named and not trusted
    path.write_text("{not json")
    assert read_scores(session.store.root)[1].startswith(f"{path}: cannot be read")
    path.write_text(json.dumps({"targets": ["x"]}))
    assert "not a table of targets" in str(read_scores(session.store.root)[1])


def test_scores_are_not_written_through_a_link(
    make_module: Callable[..., ModuleType], tmp_path: Path
) -> None:
    from legacy_harness.widen.strength import write_scores

    module = make_module(DEAD)
    spec = f"{module.__name__}:f"
    session = open_session(tmp_path)
    record_calls(session, spec, lambda: module.f(2))
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = session.store.root / ".legacy-harness"
    if folder.exists():  # record kept its input profiles there
        shutil.rmtree(folder)
    folder.symlink_to(outside, target_is_directory=True)
    with pytest.raises(HarnessError, match="symbolic link; refusing"):
        write_scores(session.store.root, [run_mutants(session, spec)], {})
    assert not list(outside.iterdir())


def test_mutate_prints_json_and_saves_every_target_of_the_store(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "rules.py").write_text(SOURCE)
    (project / "run.py").write_text("from rules import check\ncheck(20, True)\ncheck(1, False)\n")
    assert run(project, "record", "-t", "rules:check", "--", "run.py").returncode == 0
    done = run(project, "mutate", "--format", "json", "--jobs", "2")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    entry = data["targets"][0]
    assert entry["target"] == "rules:check" and entry["survived"] > 0
    assert any(s["source"] == "if x >= LIMIT and flag:" for s in entry["survivors"])
    saved = json.loads(Path(data["saved"]).read_text())
    assert saved["targets"]["rules:check"] == entry
    done = run(project, "mutate", "--fail-under", "100")
    assert done.returncode == 1 and "survived line 8 (>= -> >)" in done.stdout


def test_a_hand_written_suite_is_measured_the_same_way(module: ModuleType) -> None:
    from legacy_harness.widen.strength import run_suite

    def test_high() -> None:
        assert module.check(20, True) == "high"

    def test_low() -> None:
        assert module.check(1, False) == "low"

    report = run_suite(f"{module.__name__}:check", [test_high, test_low])
    assert report.cases == 2 and 0 < report.killed < report.total
    assert {r.killer for r in report.results if r.killer} <= {"test_high", "test_low"}

    def test_wrong() -> None:
        assert module.check(20, True) == "low"

    with pytest.raises(HarnessError, match="1 of 1 tests of .* already fail \\(test_wrong\\)"):
        run_suite(f"{module.__name__}:check", [test_wrong])
