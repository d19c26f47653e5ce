"""The golden fixture's checks: masters created, compared with tolerance, rewritten."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from legacy_harness.compare import Policy, Tolerance
from legacy_harness.errors import GoldenMismatch
from legacy_harness.pytest_plugin.golden import Golden, policy_with_tolerance
from legacy_harness.pytest_plugin.masters import CheckSettings, check_folder

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _not_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI runs these tests with CI=true; the tests that want it set it themselves."""
    monkeypatch.delenv("CI", raising=False)


NODE = "tests/test_pricing.py::TestPrices::test_total[eur-2]"


def golden(store: Path, mode: str = "none", **settings: object) -> Golden:
    return Golden(store, NODE, settings=CheckSettings(mode=mode, **settings))  # type: ignore[arg-type]


def test_masters_live_under_checks_by_module_test_and_params(tmp_path: Path) -> None:
    assert check_folder(tmp_path, NODE) == (
        tmp_path / "__checks__" / "tests" / "test_pricing" / "TestPrices.test_total[eur-2]"
    )
    odd = check_folder(tmp_path, "t.py::test_x[a/b:c]")
    assert odd.name == "test_x[a_b_c]"


def test_missing_master_fails_unless_recording(tmp_path: Path) -> None:
    with pytest.raises(GoldenMismatch, match="--golden-record=new"):
        golden(tmp_path).check({"total": 1.0})
    checks = golden(tmp_path, "new")
    checks.check({"total": 1.0})
    checks.check([1, 2], name="lines")
    assert [e.kind for e in checks.events] == ["created", "created"]
    folder = check_folder(tmp_path, NODE)
    assert sorted(p.name for p in folder.iterdir()) == ["0.json", "lines.json"]
    assert json.loads((folder / "0.json").read_text())["kind"] == "value"
    again = golden(tmp_path)
    again.check({"total": 1.0})
    again.check([1, 2], name="lines")
    assert [e.kind for e in again.events] == ["passed", "passed"]


def test_ci_never_creates(tmp_path: Path) -> None:
    with pytest.raises(GoldenMismatch, match="CI=true"):
        golden(tmp_path, "new", ci=True).check(1)
    assert not (tmp_path / "__checks__").exists()


def test_tolerance_per_check_and_per_path(tmp_path: Path) -> None:
    golden(tmp_path, "new").check({"loss": 0.5, "steps": 10})
    golden(tmp_path).check({"loss": 0.5 + 1e-12, "steps": 10})  # default rtol 1e-9
    with pytest.raises(GoldenMismatch) as failure:
        golden(tmp_path).check({"loss": 0.5001, "steps": 10})
    assert "loss: value differs" in str(failure.value)
    golden(tmp_path).check({"loss": 0.5001, "steps": 10}, rtol=1e-3)
    golden(tmp_path).check({"loss": 0.5001, "steps": 10}, paths={"loss": {"atol": 0.01}})
    with pytest.raises(GoldenMismatch, match="steps"):
        golden(tmp_path).check({"loss": 0.5, "steps": 11}, rtol=1e-3)


def test_policy_with_tolerance_accepts_the_three_forms() -> None:
    base = Policy()
    assert policy_with_tolerance(base, Tolerance(rtol=0.1)).default.rtol == 0.1
    assert policy_with_tolerance(base, {"rtol": 0.2}).default.rtol == 0.2
    paths = policy_with_tolerance(base, {"outcome.*": {"atol": 1.0}}).paths
    assert paths[-1][0] == "outcome.*" and paths[-1][1].atol == 1.0
    with pytest.raises(TypeError):
        policy_with_tolerance(base, 0.1)


def test_update_rewrites_only_changed_masters_and_all_rewrites_every_one(tmp_path: Path) -> None:
    golden(tmp_path, "new").check({"a": 1.0})
    path = check_folder(tmp_path, NODE) / "0.json"
    updating = golden(tmp_path, update=True)
    updating.check({"a": 1.0 + 1e-12})
    assert updating.events[0].kind == "passed"
    updating = golden(tmp_path, update=True)
    updating.check({"a": 2.0})
    assert updating.events[0].kind == "updated" and "a: value differs" in updating.events[0].report
    assert json.loads(path.read_text())["value"]["a"] == 2.0
    everything = golden(tmp_path, "all")
    everything.check({"a": 2.0 + 1e-12})
    assert everything.events[0].kind == "updated"


def test_big_arrays_go_to_blobs(tmp_path: Path) -> None:
    weights = np.linspace(1.0, 2.0, 1000)
    golden(tmp_path, "new").check({"weights": weights})
    folder = check_folder(tmp_path, NODE)
    assert len(list((folder / "blobs").iterdir())) == 1
    golden(tmp_path).check({"weights": weights + 1e-13})
    with pytest.raises(GoldenMismatch, match="weights"):
        golden(tmp_path).check({"weights": weights * 1.01})


def test_duplicate_names_in_one_test_are_refused(tmp_path: Path) -> None:
    checks = golden(tmp_path, "new")
    checks.check(1, name="x")
    with pytest.raises(ValueError, match="checked twice"):
        checks.check(2, name="x")


def appended(items: list[int], value: int) -> int:
    print("adding", value)
    items.append(value)
    if value < 0:
        raise ValueError(f"negative: {value}")
    return len(items)


def test_check_call_keeps_outcome_effects_and_output(tmp_path: Path) -> None:
    recorder = golden(tmp_path, "new")
    assert recorder.check_call(appended, [1], 2) == 2
    assert recorder.check_call(appended, [1], -1) is None  # the exception is the master
    first, second = (check_folder(tmp_path, NODE) / f"{i}.json" for i in (0, 1))
    stored = json.loads(first.read_text())
    assert stored["kind"] == "call" and "items" in stored["effects"]
    assert stored["output"]["stdout"] == "adding 2\n"
    assert "raised" in json.loads(second.read_text())["outcome"]
    checks = golden(tmp_path)
    checks.check_call(appended, [1], 2)
    checks.check_call(appended, [1], -1)
    assert [e.kind for e in checks.events] == ["passed", "passed"]


def test_check_call_reports_a_changed_exception_and_output(tmp_path: Path) -> None:
    golden(tmp_path, "new").check_call(appended, [1], 2)

    def refactored(items: list[int], value: int) -> int:
        print("adding value", value)
        raise RuntimeError("broken")

    with pytest.raises(GoldenMismatch) as failure:
        golden(tmp_path).check_call(refactored, [1], 2)
    report = str(failure.value)
    assert "exception changed" in report
    assert "stdout: output changed" in report


def price(quantity: int, tier: str) -> float:
    rates = {"basic": 1.0, "pro": 0.8}
    if quantity < 0:
        raise ValueError("quantity")
    return quantity * rates[tier]


def test_check_combinations_one_master_for_every_combination(tmp_path: Path) -> None:
    golden(tmp_path, "new").check_combinations(price, [[-1, 1, 3], ["basic", "pro", "gold"]])
    stored = json.loads((check_folder(tmp_path, NODE) / "0.json").read_text())
    assert len(stored["calls"]) == 9
    assert stored["calls"][0]["label"] == "price(-1, 'basic')"
    golden(tmp_path).check_combinations(price, [[-1, 1, 3], ["basic", "pro", "gold"]])

    def rounded(quantity: int, tier: str) -> float:  # a rounding change
        rates = {"basic": 1.0, "pro": 0.8000001}
        if quantity < 0:
            raise ValueError("quantity")
        return quantity * rates[tier]

    rounded.__name__ = "price"  # labels name the function
    with pytest.raises(GoldenMismatch) as failure:
        golden(tmp_path).check_combinations(rounded, [[-1, 1, 3], ["basic", "pro", "gold"]])
    assert "['price(3, 'pro')'].outcome: value differs" in str(failure.value).replace('"', "'")
    golden(tmp_path).check_combinations(
        rounded, [[-1, 1, 3], ["basic", "pro", "gold"]], paths={"outcome": {"rtol": 1e-6}}
    )


def test_fixture_with_markers_and_parametrize(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", pyproject='[tool.legacy_harness]\nstore = "golden"\n')
    pytester.makepyfile(
        test_fixture="""
        import pytest

        SCALE = 1.0

        @pytest.mark.parametrize("n", [1, 2])
        def test_param(golden, n):
            golden.check({"n": n, "half": n / 2 * SCALE})

        @pytest.mark.golden(tolerance={"half": {"rtol": 0.01}})
        def test_marked(golden):
            golden.check({"half": 0.5 * SCALE})

        @pytest.mark.golden(rtol=0.01)
        def test_marked_kw(golden):
            golden.check_call(lambda: 0.5 * SCALE)
        """
    )
    pytester.runpytest("-q", "--golden-record=new").assert_outcomes(passed=4)
    folder = pytester.path / "golden" / "__checks__" / "test_fixture"
    assert sorted(p.name for p in folder.iterdir()) == [
        "test_marked",
        "test_marked_kw",
        "test_param[1]",
        "test_param[2]",
    ]
    source = (pytester.path / "test_fixture.py").read_text()
    pytester.makepyfile(test_fixture=source.replace("SCALE = 1.0", "SCALE = 1.001"))
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["*FAILED*test_param[[]1[]]*", "*FAILED*test_param[[]2[]]*"])
    result.stdout.fnmatch_lines(["*4 checked, 2 passed, 2 changed*"])


class Sku:
    """Hashed by address, like most legacy classes."""

    def __init__(self, code: str) -> None:
        self.code = code


def test_a_dict_keyed_by_objects_matches_its_master_by_content(tmp_path: Path) -> None:
    golden(tmp_path, "new").check({Sku("b"): 2, Sku("a"): 1})
    golden(tmp_path).check({Sku("a"): 1, Sku("b"): 2})  # new objects, another order
    with pytest.raises(GoldenMismatch, match=r"\[Sku\(code='b'\)\]: value differs"):
        golden(tmp_path).check({Sku("a"): 1, Sku("b"): 3})
