"""Recording again keeps one case per input: same ids in every process, no stale cases,
origins kept, and never the harness's own replays."""

from __future__ import annotations

import json
from pathlib import Path

from cli_runner import run_cli

from legacy_harness.record.recorder import Recorder
from legacy_harness.store.case import case_id
from legacy_harness.store.disk import GoldenStore

SHOP = """
class Product:
    def __init__(self, name, price):
        self.name = name
        self.price = price

def total(basket):
    return sum(p.price * n for p, n in basket.items())

def tags(words):
    return sorted({w: len(w) for w in words})

def pure(x):
    return x * 2

def offer(offers, product):
    offers[product] = offers.get(product, 0) + 1
"""

# dicts keyed by objects, built from set iteration (an order PYTHONHASHSEED and addresses pick)
RUN = """
import shop
names = {"apple", "rice", "tea", "milk", "salt"}
products = [shop.Product(n, len(n)) for n in names]
shop.total({p: ord(p.name[0]) % 3 + 1 for p in products})
shop.total({p: 1 for p in products if p.name != "tea"})
shop.tags(set(names))
shop.tags({"x", "yy"})
shop.offer({p: 1 for p in products}, next(p for p in products if p.name == "tea"))
"""


def shop_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    (root / "shop.py").write_text(SHOP)
    (root / "run.py").write_text(RUN)
    return root


def case_files(store: Path) -> set[str]:
    return {p.relative_to(store).as_posix() for p in store.rglob("case-*.json")}


def test_the_same_inputs_get_the_same_case_files_under_any_hash_seed(tmp_path: Path) -> None:
    root = shop_project(tmp_path / "shop")
    targets = ("-t", "shop:total", "-t", "shop:tags", "-t", "shop:offer")
    found = []
    for seed in ("1", "2", "3"):
        done = run_cli(root, "record", *targets, "--", "run.py", env={"PYTHONHASHSEED": seed})
        assert done.returncode == 0, done.stderr
        found.append(case_files(root / "golden"))
    assert found[0] == found[1] == found[2]
    assert len(found[0]) == 4 + 1  # two baskets, two word sets, one offer: never a duplicate
    # the offer's effect is a dict keyed by objects: rebuilt ones match by content
    done = run_cli(root, "verify", env={"PYTHONHASHSEED": "4"})
    assert done.returncode == 0, done.stdout


def record(store: Path, module: object, calls: list[int], *, mode: str, origin: str) -> None:
    recorder = Recorder([f"{module.__name__}:pure"], store, mode=mode, origin=origin)  # type: ignore[attr-defined]
    recorder.start()
    try:
        for x in calls:
            module.pure(x)  # type: ignore[attr-defined]
    finally:
        recorder.stop()


def by_input(store: Path) -> dict[int, dict]:
    found = {}
    for path in store.rglob("case-*.json"):
        case = json.loads(path.read_text())
        found[case["inputs"]["args"][0]] = case
    return found


def test_mode_all_removes_stale_cases_and_keeps_generated_origins(
    make_module, tmp_path: Path
) -> None:
    mod = make_module(SHOP)
    record(tmp_path, mod, [1, 2, 3], mode="new", origin="recorded")
    record(tmp_path, mod, [4, 5], mode="new", origin="generated")
    recorder = Recorder([f"{mod.__name__}:pure"], tmp_path, mode="all")
    recorder.start()
    try:
        for x in (1, 2, 5):
            mod.pure(x)
    finally:
        summary = recorder.stop()
    cases = by_input(tmp_path)
    assert sorted(cases) == [1, 2, 4, 5]  # 3 is stale: this run no longer produced it
    assert cases[5]["meta"]["origin"] == "generated"  # re-recorded, still generated
    assert cases[4]["meta"]["origin"] == "generated"  # generated, not ours to remove
    assert cases[1]["meta"]["origin"] == "recorded"
    assert summary.targets[0].removed == 1
    assert "1 stale cases removed" in summary.render()


def test_a_case_filed_under_an_older_id_is_not_recorded_twice(make_module, tmp_path: Path) -> None:
    mod = make_module(SHOP)
    record(tmp_path, mod, [7], mode="new", origin="recorded")
    (path,) = tmp_path.rglob("case-*.json")
    old_id = "0123456789abcdef"  # as an earlier id scheme named it
    case = json.loads(path.read_text())
    case["id"] = old_id
    renamed = path.with_name(f"case-{old_id}.json")
    renamed.write_text(json.dumps(case))
    path.unlink()
    record(tmp_path, mod, [7], mode="new", origin="recorded")
    assert [p.name for p in tmp_path.rglob("case-*.json")] == [renamed.name]
    record(tmp_path, mod, [7], mode="all", origin="recorded")  # rewritten under today's id
    (path,) = tmp_path.rglob("case-*.json")
    stored = GoldenStore(tmp_path).load(path).case
    assert stored.id == case_id(stored.target, stored.inputs) != old_id


CALC = "def add(a, b):\n    return a + b\n"
TEST_CALC = "import calc\n\ndef test_add():\n    assert calc.add({a}, {b}) == {a} + {b}\n"


def test_recording_a_pytest_run_never_records_the_plugins_replays(tmp_path: Path) -> None:
    """The store lives in tests/: the golden items replay its masters in the same process."""
    root = tmp_path / "calc"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "tests/golden"\n')
    (root / "calc.py").write_text(CALC)
    (root / "tests" / "test_calc.py").write_text(TEST_CALC.format(a=1, b=2))
    record_run = ("record", "-t", "calc:add", "--mode", "all", "--", "-m", "pytest", "tests/",
                  "-q", "-p", "no:cacheprovider")  # fmt: skip
    assert run_cli(root, *record_run).returncode == 0
    (root / "tests" / "test_calc.py").write_text(TEST_CALC.format(a=3, b=4))
    done = run_cli(root, *record_run)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout  # the golden item of (1, 2) ran too
    stored = [json.loads(p.read_text()) for p in (root / "tests/golden").rglob("case-*.json")]
    assert [case["inputs"]["args"] for case in stored] == [[3, 4]]
