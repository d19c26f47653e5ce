"""Stored targets located from files alone: found, vanished, refused, never imported."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from legacy_harness.pytest_plugin.locate import Locator, Presence, Project

TRIPWIRE = "import pathlib\npathlib.Path({mark!r}).write_text('imported')\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    return root


def locator(root: Path, *extra: Path, allow: tuple[str, ...] = ()) -> Locator:
    return Locator(Project.of(root, [root], allow), search=[str(root), *map(str, extra)])


def write(path: Path, source: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))


def test_functions_and_methods_found_or_certainly_gone(project: Path) -> None:
    write(
        project / "shop.py",
        """
        import json as codec
        from os import path as where

        def checkout(cart):
            return cart

        class Cart:
            def total(self):
                return 0

            if True:
                def conditional(self):
                    return 1

        try:
            from fast import speedy
        except ImportError:
            def speedy():
                return 0

        RATE, (LOW, HIGH) = 0.2, (1, 2)
        """,
    )
    find = locator(project)
    for present in (
        "checkout",
        "Cart",
        "Cart.total",
        "Cart.conditional",
        "speedy",
        "codec",
        "HIGH",
    ):
        assert find.locate(f"shop:{present}").presence is Presence.PRESENT, present
    gone = find.locate("shop:compute")
    assert (gone.presence, gone.reason) == (Presence.GONE, "shop has no compute")
    assert find.locate("shop:Cart.refund").reason == "shop has no Cart.refund"
    assert find.locate("shop:Basket.total").reason == "shop has no Basket"
    assert find.locate("billing:f").reason == "module billing no longer exists"


def test_whatever_may_bind_names_at_run_time_counts_as_present(project: Path) -> None:
    dynamic = {
        "setattr_mod": "import sys\nsetattr(sys.modules[__name__], 'f', len)\n",
        "globals_mod": "globals()['f'] = len\n",
        "star_mod": "from os.path import *\n",
        "getattr_mod": "def __getattr__(name):\n    return len\n",
        "global_mod": "def make():\n    global f\n    f = len\n",
        "walrus_mod": "[(f := len)]\n",
    }
    for name, source in dynamic.items():
        write(project / f"{name}.py", source)
    write(
        project / "classes.py",
        """
        import dataclasses

        class Base:
            pass

        class Child(Base):
            pass

        @dataclasses.dataclass
        class Point:
            x: int = 0

        class Meta(metaclass=type):
            pass

        class Plain(object):
            pass
        """,
    )
    find = locator(project)
    for name in dynamic:
        assert find.locate(f"{name}:f").presence is Presence.PRESENT, name
    for qualname in ("Child.method", "Point.__init__", "Meta.method"):
        assert find.locate(f"classes:{qualname}").presence is Presence.PRESENT, qualname
    assert find.locate("classes:Plain.method").presence is Presence.GONE
    assert find.locate("classes:Base.method").presence is Presence.GONE


def test_nothing_is_imported_to_find_out(project: Path, tmp_path: Path) -> None:
    marks = [tmp_path / f"mark{i}" for i in range(3)]
    write(project / "pkg_trip" / "__init__.py", TRIPWIRE.format(mark=str(marks[0])))
    write(project / "pkg_trip" / "sub.py", TRIPWIRE.format(mark=str(marks[1])) + "def f(): ...\n")
    write(project / "mod_trip.py", TRIPWIRE.format(mark=str(marks[2])))
    find = locator(project)
    assert find.locate("pkg_trip.sub:f").presence is Presence.PRESENT
    assert find.locate("pkg_trip.sub:g").presence is Presence.GONE
    assert find.locate("pkg_trip.nothing:f").reason == "module pkg_trip.nothing no longer exists"
    assert find.locate("mod_trip.sub:f").reason == "module mod_trip.sub no longer exists"
    assert find.locate("mod_trip:f").presence is Presence.GONE
    assert not any(mark.exists() for mark in marks)
    assert not {"pkg_trip", "pkg_trip.sub", "mod_trip"} & set(sys.modules)


def test_code_outside_the_project_is_refused(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "venv" / "lib" / "site-packages"
    mark = tmp_path / "mark"
    write(site / "installed_trip.py", TRIPWIRE.format(mark=str(mark)) + "def f(): ...\n")
    find = locator(project, site)
    for target in ("installed_trip:f", "os:system", "subprocess:getoutput", "this:s"):
        where = find.locate(target)
        assert where.presence is Presence.OUTSIDE, target
        assert "is not part of the project" in where.reason
    assert 'allow = ["installed_trip"]' in find.locate("installed_trip:f").reason
    allowed = locator(project, site, allow=("installed_trip",))
    assert allowed.locate("installed_trip:f").presence is Presence.PRESENT
    assert allowed.locate("installed_trip:g").presence is Presence.GONE
    assert not mark.exists()


def test_a_virtual_environment_inside_the_project_is_not_the_project(project: Path) -> None:
    venv = Project.of(Path(sys.prefix).parent, [Path(sys.prefix).parent])
    assert not venv.owns(Path(sys.prefix) / "lib" / "anything.py")
    assert venv.owns(Path(sys.prefix).parent / "app.py")


def test_folder_names_that_are_no_target(project: Path) -> None:
    find = locator(project)
    for target in ("my-module:f", "billing:compute-invoice", "billing"):
        assert find.locate(target).presence is Presence.INVALID, target
