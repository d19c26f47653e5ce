"""Recording at module and class grain: what the summary says, what replay makes of it,
and the packages outside the project a case needs in ``allow``, said once."""

from __future__ import annotations

import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from legacy_harness.config import load_config
from legacy_harness.errors import ForeignClassWarning
from legacy_harness.outcomes import CaseStatus
from legacy_harness.record.recorder import Recorder
from legacy_harness.verify import VerifySession, iter_results

MODELS = """
class Item:
    def __init__(self, sku, price):
        self.sku = sku
        self.price = price

    @property
    def label(self):
        return self.sku.upper()
"""

STOCK = """
from models import Item


class Stock:
    def __init__(self):
        self.items = []

    def add(self, sku, price):
        item = Item(sku, price)
        self.items.append(item)
        return item

    def value(self):
        return round(sum(item.price for item in self.items), 2)

    @staticmethod
    def vat(amount):
        return round(amount * 0.2, 2)

    @classmethod
    def of(cls, rows):
        stock = cls()
        for sku, price in rows:
            stock.add(sku, price)
        return stock

    def unused(self):
        return 0


def report(stock, box):
    return f"{len(stock.items)} items worth {stock.value()} ({box.kind})"
"""

VENDOR = """
class Box:
    def __init__(self, kind):
        self.kind = kind
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A flat-layout project (models.py beside stock.py) and a vendored package
    ``vendorbox`` outside it, as an installed third-party package would be."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "models.py").write_text(textwrap.dedent(MODELS))
    (root / "stock.py").write_text(textwrap.dedent(STOCK))
    (root / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    vendor = tmp_path / "vendor"
    vendor.mkdir()
    (vendor / "vendorbox.py").write_text(textwrap.dedent(VENDOR))
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(vendor))
    monkeypatch.syspath_prepend(str(root))
    yield root
    for name in ("models", "stock", "vendorbox"):
        sys.modules.pop(name, None)


def run_day() -> None:
    import stock
    import vendorbox

    shop = stock.Stock.of([("tea", 2.5), ("jam", 3.25)])
    shop.add("oat", 1.0)
    stock.Stock.vat(shop.value())
    for item in shop.items:
        assert item.label
    stock.report(shop, vendorbox.Box("crate"))
    stock.report(shop, vendorbox.Box("bag"))


def test_module_and_class_grain_record_and_replay_without_allow(project: Path) -> None:
    recorder = Recorder(["stock", "models:Item"], project / "golden", exclude=["stock:report"])
    recorder.start()
    try:
        run_day()
    finally:
        summary = recorder.stop()
    recorded = sorted(stats.target for stats in summary.targets if stats.cases)
    assert recorded == [
        "models:Item.__init__",
        "models:Item.label",
        "stock:Stock.__init__",
        "stock:Stock.add",
        "stock:Stock.of",
        "stock:Stock.value",
        "stock:Stock.vat",
    ]
    session = VerifySession.open(load_config())
    results = list(iter_results(session))
    assert len(results) >= len(recorded)
    # constructors, property getters, static and class methods replay; classes of the
    # flat-layout sibling module are rebuilt with no allow = [...]
    assert {r.status for r in results} == {CaseStatus.PASSED}, [r.explanation for r in results]


def test_the_summary_groups_by_module_and_class(project: Path) -> None:
    recorder = Recorder(["stock", "models"], project / "golden", exclude=["stock:report"])
    recorder.start()
    try:
        run_day()
    finally:
        text = recorder.stop().render()
    lines = text.splitlines()
    assert lines[:4] == [
        "models: 2 targets, 6 calls, 6 cases",
        "  Item",
        "    __init__: 3 calls, 3 cases (3 new, 0 updated, 0 unchanged)",
        "    label: 3 calls, 3 cases (3 new, 0 updated, 0 unchanged)",
    ]
    at = lines.index("stock: 6 targets, 9 calls, 7 cases")
    assert lines[at + 1] == "  Stock"
    assert [line.split(":")[0].strip() for line in lines[at + 2 : at + 7]] == [
        "__init__", "add", "of", "value", "vat",
    ]  # fmt: skip
    assert lines[at + 7] == "  no calls (the run never reached them): Stock.unused"
    assert lines[-1].startswith("store: ")


def test_a_class_from_outside_the_project_is_named_once_at_record_time(project: Path) -> None:
    recorder = Recorder(["stock:report"], project / "golden")
    recorder.start()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run_day()
    finally:
        summary = recorder.stop()
    foreign = [w for w in caught if issubclass(w.category, ForeignClassWarning)]
    assert len(foreign) == 1  # two cases hold a vendorbox.Box: one warning
    message = str(foreign[0].message)
    assert "stock:report: cases hold vendorbox:Box objects" in message
    assert 'allow = ["vendorbox"] in [tool.legacy_harness]' in message
    assert summary.foreign == {"vendorbox": "vendorbox:Box"}
    assert 'allow = ["vendorbox"]' in summary.render()
    # models:Item and stock:Stock are the project's own: nothing to allow for them
    assert "models" not in message and "stock:Stock" not in message


def test_a_change_in_a_constructor_is_caught_at_class_grain(project: Path) -> None:
    recorder = Recorder(["models:Item"], project / "golden")
    recorder.start()
    try:
        run_day()
    finally:
        recorder.stop()
    source = (project / "models.py").read_text()
    (project / "models.py").write_text(
        source.replace("self.price = price", "self.price = price * 2")
    )
    for name in ("models", "stock"):
        sys.modules.pop(name, None)
    results = list(iter_results(VerifySession.open(load_config())))
    changed = {r.target for r in results if r.status == CaseStatus.CHANGED}
    assert changed == {"models:Item.__init__"}  # the getter's masters hold self: unchanged
