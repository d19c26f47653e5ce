"""--verify replays every master whose replay reaches a changed file, not only the
targets defined in it: the Teller's masters guard a refactoring of the shopping cart."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import libcst as cst
import pytest
from cli_runner import run_cli
from libcst.codemod import VisitorBasedCodemodCommand

from legacy_harness.config import load_config
from legacy_harness.refactor import HELPERS
from legacy_harness.refactor.loop import run_loop
from legacy_harness.refactor.reach import body_lines, reached_targets, targets_reaching

SHOPPING_CART = '''\
class ShoppingCart:
    """Articles and quantities; knows its total."""

    def __init__(self):
        self.items = []

    def add_item(self, article, quantity):
        self.items.append((article, quantity))

    def total(self, prices):
        total = 0.0
        for article, quantity in self.items:
            price = prices[article]
            if quantity >= 10:
                price = price * 0.9
            total += price * quantity
        return round(total, 2)
'''

TELLER = '''\
from shopping_cart import ShoppingCart


class Teller:
    """Checks carts out at the shop's prices."""

    def __init__(self, prices):
        self.prices = dict(prices)

    def checks_out_articles_from(self, cart):
        return {"articles": len(cart.items), "total": cart.total(self.prices)}

    def greeting(self, name):
        return f"Hello {name}"


def new_cart():
    return ShoppingCart()
'''

SHOP_DAY = """\
from shopping_cart import ShoppingCart
from teller import Teller

teller = Teller({"apple": 0.5, "rice": 2.49, "toothbrush": 0.99})
for basket in ([("apple", 3)], [("rice", 12), ("apple", 1)], [("toothbrush", 10)]):
    cart = ShoppingCart()
    for article, quantity in basket:
        cart.add_item(article, quantity)
    print(teller.checks_out_articles_from(cart))
print(teller.greeting("Ada"))
"""

DISCOUNT_LINES = "13-15"  # price = ...; if quantity >= 10: price = price * 0.9


@pytest.fixture(scope="module")
def recorded_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reach") / "shop"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.legacy_harness]\n")
    (root / "shopping_cart.py").write_text(SHOPPING_CART)
    (root / "teller.py").write_text(TELLER)
    (root / "shop_day.py").write_text(SHOP_DAY)
    done = run_cli(root, "record", "-t", "teller:Teller.checks_out_articles_from",
                   "-t", "teller:Teller.greeting", "--", "shop_day.py")  # fmt: skip
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def shop(recorded_shop: Path, tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(recorded_shop, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_the_discount_lines_are_the_ones_the_test_means() -> None:
    lines = SHOPPING_CART.splitlines()
    assert lines[12].strip() == "price = prices[article]"
    assert lines[14].strip() == "price = price * 0.9"


def test_body_lines_are_the_lines_a_call_runs() -> None:
    source = "import os\n\nX = 1\n\n\ndef f(a):\n    b = a\n    return (b,\n            a)\n"
    assert body_lines(source) == {7, 8, 9}
    nested = "class C:\n    y = 2\n\n    def m(self):\n        def inner():\n            return 1\n        return inner()\n"
    assert body_lines(nested) == {5, 6, 7}


def test_targets_reaching_keeps_body_lines_and_named_contexts() -> None:
    measured = {
        "/p/cart.py": {1: ["teller:Teller.pay"], 7: ["teller:Teller.pay", ""], 9: ["x:f"]},
        "/p/other.py": {3: ["y:g"]},
    }
    bodies = {"/p/cart.py": {7, 8}, "/p/other.py": {3}}
    assert targets_reaching(measured, bodies) == {
        "teller:Teller.pay": ["/p/cart.py"],
        "y:g": ["/p/other.py"],
    }


def test_the_teller_masters_reach_the_cart_and_the_greeting_does_not(shop: Path) -> None:
    config = load_config(shop)
    assert reached_targets(config, [shop / "shopping_cart.py"]) == {
        "teller:Teller.checks_out_articles_from"
    }
    assert reached_targets(config, [shop / "teller.py"]) == {
        "teller:Teller.checks_out_articles_from",
        "teller:Teller.greeting",
    }


def test_extract_function_in_the_cart_is_verified_by_the_teller_masters(shop: Path) -> None:
    done = run_cli(shop, "refactor", "extract-function", "--function", "ShoppingCart.total",
                   "--lines", DISCOUNT_LINES, "--name", "unit_price", "shopping_cart.py",
                   "--apply", "--verify")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "verified: 3 masters of teller:Teller.checks_out_articles_from behave the same; applied"
        in done.stdout
    )
    assert "def unit_price(" in (shop / "shopping_cart.py").read_text()
    assert run_cli(shop, "verify").returncode == 0


class ChangeTheDiscount(VisitorBasedCodemodCommand):
    """Test-only helper that changes behaviour: a 10% discount becomes 20%."""

    DESCRIPTION = "change the bulk discount (changes behaviour on purpose)"

    def leave_Float(self, original: cst.Float, updated: cst.Float) -> cst.Float:
        return updated.with_changes(value="0.8") if updated.value == "0.9" else updated


def test_a_behaviour_change_in_the_cart_is_caught_by_the_teller_masters(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(HELPERS, "discount", ChangeTheDiscount)
    monkeypatch.chdir(shop)
    cart = shop / "shopping_cart.py"
    before = cart.read_bytes()
    result = run_loop("discount", [cart], {}, load_config(shop), apply=True, verify=True)
    assert result.targets == ["teller:Teller.checks_out_articles_from"]
    assert result.restored and not result.applied
    assert result.after is not None
    failing = {case["target"] for case in result.after.failing}
    assert failing == {"teller:Teller.checks_out_articles_from"}
    assert len(result.after.failing) == 2  # the two carts with 10 or more of an article
    assert cart.read_bytes() == before


def test_the_reach_is_measured_once_per_run(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(HELPERS, "discount", ChangeTheDiscount)
    calls: list[list[Path]] = []

    def counting(config: object, files: list[Path]) -> set[str]:
        calls.append(files)
        return {"teller:Teller.checks_out_articles_from"}

    def passing(config: object, targets: list[str]) -> object:
        from legacy_harness.refactor.loop import VerifyRun

        return VerifyRun(0, [{"status": "passed", "target": t} for t in targets])

    cart = shop / "shopping_cart.py"
    run_loop("discount", [cart], {}, load_config(shop), apply=False, verify=True,
             replay=passing, reach=counting)  # type: ignore[arg-type]  # fmt: skip
    assert calls == [[cart]]


def test_a_file_no_master_reaches_is_still_refused(shop: Path) -> None:
    (shop / "unused.py").write_text(
        textwrap.dedent("""\
            def rate():
                return 0.9
        """)
    )
    done = run_cli(shop, "refactor", "rename", "--old", "unused:rate", "--new", "ratio",
                   "unused.py", "--verify")  # fmt: skip
    assert done.returncode == 2 and "no golden masters cover" in done.stderr


def test_refactor_takes_the_store_option(shop: Path) -> None:
    (shop / "masters").mkdir()
    (shop / "tests" / "golden").rename(shop / "masters" / "golden")
    args = ["refactor", "extract-function", "--function", "ShoppingCart.total", "--lines",
            DISCOUNT_LINES, "--name", "unit_price", "shopping_cart.py", "--verify"]  # fmt: skip
    refused = run_cli(shop, *args)
    assert refused.returncode == 2 and "no golden masters cover" in refused.stderr
    done = run_cli(shop, *args, "--store", "masters/golden")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verified: 3 masters of teller:Teller.checks_out_articles_from" in done.stdout
