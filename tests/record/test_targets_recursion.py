"""A recorded recursive target keeps the recursion depth it has without the harness."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from cli_runner import cli_env

from legacy_harness.config import config_from_table
from legacy_harness.record.recorder import recording
from legacy_harness.record.targets import Patch, function_copy, resolve
from legacy_harness.store.disk import GoldenStore
from legacy_harness.verify import PASSED, VerifySession, iter_results

RECURSIVE = """
def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)

def dive(depth=0):
    try:
        return dive(depth + 1)
    except RecursionError:
        return depth

class Tree:
    def height(self, n):
        return 0 if n == 0 else 1 + self.height(n - 1)
"""


def test_fact_900_records_and_replays_under_the_default_recursion_limit(tmp_path: Path) -> None:
    """In a fresh interpreter, as a user's script runs: limit 1000, fact(limit - 100)."""
    (tmp_path / "facts.py").write_text(textwrap.dedent(RECURSIVE))
    (tmp_path / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    script = textwrap.dedent(
        """
        import sys
        from legacy_harness.record.recorder import recording
        import facts

        assert sys.getrecursionlimit() == 1000
        n = sys.getrecursionlimit() - 100
        with recording(["facts:fact", "facts:Tree.height"], store="golden"):
            assert facts.fact(n) > 0
            assert facts.Tree().height(n) == n
        assert sys.getrecursionlimit() == 1000
        print("recorded", n)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=cli_env(), capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "recorded 900" in done.stdout
    verify = subprocess.run(
        [sys.executable, "-m", "legacy_harness", "verify"], cwd=tmp_path, env=cli_env(),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_recorded_depth_is_the_plain_depth_less_a_constant(make_module, tmp_path: Path) -> None:
    mod = make_module(RECURSIVE)
    plain = mod.dive()
    with recording([f"{mod.__name__}:dive"], store=tmp_path / "golden"):
        recorded = mod.dive()
    # the outermost call pays for the recorder once; each inner level costs one frame
    assert plain - 60 < recorded <= plain, (plain, recorded)


def test_only_the_outermost_call_of_a_chain_is_recorded_and_it_replays(
    make_module, tmp_path: Path
) -> None:
    mod = make_module(RECURSIVE)
    store = tmp_path / "golden"
    with recording([f"{mod.__name__}:fact"], store=store) as recorder:
        assert mod.fact(6) == 720
        assert mod.fact(3) == 6
    assert recorder.summary().targets[0].cases == 2
    cases = [item.case for item in GoldenStore(store).iter_cases()]  # type: ignore[union-attr]
    assert sorted(case.inputs["args"][0] for case in cases) == [3, 6]
    config = config_from_table({"store": "golden"}, root=tmp_path)
    assert {r.status for r in iter_results(VerifySession.open(config))} == {PASSED}


def test_nested_calls_skip_the_wrapper_and_undo_restores_the_code(make_module) -> None:
    mod = make_module(RECURSIVE)
    target = resolve(f"{mod.__name__}:fact")
    original = mod.fact.__code__
    seen: list[int] = []

    def wrapper(*args: object) -> object:
        seen.append(args[0])  # type: ignore[arg-type]
        return function_copy(target.function)(*args)  # type: ignore[arg-type]

    patch = Patch(target, wrapper)
    patch.apply()
    trampoline = mod.fact.__code__
    assert trampoline is not original
    assert mod.fact(5) == 120 and seen == [5]  # the inner calls of the chain run directly
    assert mod.fact.__code__ is trampoline
    assert mod.fact(4) == 24 and seen == [5, 4]  # the next outermost call is captured again
    patch.undo()
    assert mod.fact.__code__ is original and mod.fact(3) == 6 and seen == [5, 4]


def test_undo_during_a_call_leaves_the_original_code(make_module) -> None:
    mod = make_module(RECURSIVE)
    target = resolve(f"{mod.__name__}:fact")
    original = mod.fact.__code__
    patch: Patch

    def wrapper(*args: object) -> object:
        patch.undo()  # recording stopped while a call is running
        return function_copy(target.function)(*args)  # type: ignore[arg-type]

    patch = Patch(target, wrapper)
    patch.apply()
    assert mod.fact(5) == 120
    assert mod.fact.__code__ is original
