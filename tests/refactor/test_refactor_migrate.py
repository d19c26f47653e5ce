"""Masters move with the code: renamed classes and extracted state are migrated, so
--verify compares behaviour, not layout; the docs' Parrot example is the proof."""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cli_runner import cli_env, run_cli
from paths import REPO

from legacy_harness.config import load_config
from legacy_harness.errors import RefusalError
from legacy_harness.refactor.journal import JOURNAL_NAME
from legacy_harness.refactor.loop import VerifyRun, migration_for, run_loop
from legacy_harness.refactor.migrate import (
    Extraction,
    Migration,
    migrate_case,
    migrate_tree,
    plan_rewrites,
)
from legacy_harness.store import codec
from legacy_harness.store.case import GoldenCase, Observation
from legacy_harness.store.disk import GoldenStore

DOC = REPO / "docs" / "refactoring.md"
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)

FLOCK = """\
from parrot import Parrot

flock = [Parrot("Polly", 0, 1.5, False), Parrot("Rio", 1, 2.0, False), Parrot("Blue", 0, 4.0, True)]
for parrot in flock:
    print(parrot.name, parrot.fly(120), parrot.speed())
"""

SPEED_MODEL = Extraction(
    "parrot:Parrot", "parrot:SpeedModel", "_speed_model", frozenset({"coconuts", "voltage"})
)


def doc_block(marker: str, lang: str = "python") -> str:
    """The fenced block of docs/refactoring.md whose first line is ``marker``."""
    for kind, body in FENCE.findall(DOC.read_text()):
        if kind == lang and body.splitlines()[0] == marker:
            return body.split("\n", 1)[1]
    raise AssertionError(f"docs/refactoring.md has no {lang} block starting {marker!r}")


def doc_command() -> list[str]:
    for kind, body in FENCE.findall(DOC.read_text()):
        if kind == "sh" and "extract-class" in body:
            words = shlex.split(body.strip())
            assert words[0] == "legacy-harness"
            return words[1:]
    raise AssertionError("docs/refactoring.md shows no extract-class command")


def parrot_node(**state: Any) -> dict[str, Any]:
    return {"$object": "parrot:Parrot", "state": state}


# -- the trees: pure ---------------------------------------------------------------------


def test_extraction_moves_the_fields_into_an_encoded_collaborator() -> None:
    tree = {"args": [parrot_node(coconuts=1, name="Rio", voltage=2.0)], "kwargs": {}}
    migrated, changed = migrate_tree(tree, Migration(extractions=(SPEED_MODEL,)))
    assert changed == 1
    assert migrated["args"][0] == parrot_node(
        _speed_model={"$object": "parrot:SpeedModel", "state": {"coconuts": 1, "voltage": 2.0}},
        name="Rio",
    )
    assert tree["args"][0]["state"]["coconuts"] == 1  # the input is left alone


def test_extraction_reaches_nested_and_shared_instances_and_only_them(
    make_module: Callable[..., ModuleType],
) -> None:
    module = make_module(
        """
        class Parrot:
            pass

        class SpeedModel:
            pass

        class Perch:
            pass
        """
    ).__name__
    shared = {"$object": f"{module}:Parrot", "$id": 1, "state": {"coconuts": 0, "voltage": 1.5}}
    perch = {"$object": f"{module}:Perch", "state": {"coconuts": 3}}
    tree = {"returned": {"$tuple": [shared, {"$ref": 1}, perch]}}
    extraction = Extraction(
        f"{module}:Parrot", f"{module}:SpeedModel", "_speed_model", SPEED_MODEL.fields
    )
    migrated, changed = migrate_tree(tree, Migration(extractions=(extraction,)))
    assert changed == 1
    first, ref, same_perch = migrated["returned"]["$tuple"]
    assert first["$id"] == 1 and set(first["state"]) == {"_speed_model"}
    assert ref == {"$ref": 1} and same_perch == perch
    value = codec.decode(migrated["returned"], policy=codec.ClassPolicy({module}), blobs=None)
    assert value[0] is value[1]  # still one object, shared
    assert vars(value[0]._speed_model) == {"coconuts": 0, "voltage": 1.5}
    assert type(value[0]._speed_model).__name__ == "SpeedModel"


def test_an_instance_already_in_the_new_layout_is_left_as_it_is() -> None:
    node = parrot_node(_speed_model={"$object": "parrot:SpeedModel", "state": {}}, coconuts=9)
    assert migrate_tree(node, Migration(extractions=(SPEED_MODEL,))) == (node, 0)


def test_an_instance_recorded_through_getstate_is_refused() -> None:
    node = {"$object": "parrot:Parrot", "getstate": {"$tuple": [1, 2]}}
    with pytest.raises(RefusalError, match=r"inputs\.self: .*__getstate__.*re-record"):
        migrate_tree({"self": node}, Migration(extractions=(SPEED_MODEL,)), "inputs")


def test_renames_follow_nested_classes_and_functions() -> None:
    migration = Migration(names={"shop:Cart": "shop:Basket", "shop:price": "shop:cost"})
    tree = {
        "a": {"$object": "shop:Cart", "state": {"p": {"$object": "shop:Cart.Policy", "state": {}}}},
        "b": [{"$class": "shop:Cart"}, {"$function": "shop:price"}, {"$class": "shop:Cartel"}],
        "c": {"$enum": "shop:Cart.Kind", "name": "WEB"},
    }
    migrated, changed = migrate_tree(tree, migration)
    assert changed == 5
    assert migrated["a"]["$object"] == "shop:Basket"
    assert migrated["a"]["state"]["p"]["$object"] == "shop:Basket.Policy"
    assert [n.get("$class") or n.get("$function") for n in migrated["b"]] == [
        "shop:Basket", "shop:cost", "shop:Cartel"
    ]  # fmt: skip
    assert migrated["c"]["$enum"] == "shop:Basket.Kind"


def test_renamed_attributes_rename_the_recorded_fields() -> None:
    migration = Migration(attributes={"parrot:Parrot": {"flights": "trips"}})
    tree = [
        parrot_node(flights=2, name="Rio"),
        {"$object": "parrot:Perch", "state": {"flights": 1}},
    ]
    migrated, changed = migrate_tree(tree, migration)
    assert changed == 1
    assert migrated[0] == parrot_node(trips=2, name="Rio") and migrated[1] == tree[1]
    assert migrate_tree(migrated, migration) == (migrated, 0)  # already renamed
    with pytest.raises(RefusalError, match="flights cannot be renamed"):
        migrate_tree({"$object": "parrot:Parrot", "getstate": []}, migration)


def test_a_migrated_case_gets_the_id_a_new_recording_would_get() -> None:
    inputs = {"args": [120], "kwargs": {}, "self": parrot_node(coconuts=0, voltage=1.5)}
    case = GoldenCase(
        "parrot:Parrot.fly", "0" * 16, inputs, Observation({"returned": 1.0}), meta={"x": 1}
    )
    new, changed = migrate_case(case, Migration(extractions=(SPEED_MODEL,)))
    assert changed == 1 and new.target == case.target
    assert new.id == codec.tree_hash({"target": "parrot:Parrot.fly", "inputs": new.inputs})
    assert new.meta == {"x": 1} and new.observation.outcome == {"returned": 1.0}
    untouched = GoldenCase(
        "m:f", "1" * 16, {"args": [], "kwargs": {}}, Observation({"returned": 1})
    )
    assert migrate_case(untouched, Migration(extractions=(SPEED_MODEL,))) == (untouched, 0)


# -- the docs' Parrot, end to end ---------------------------------------------------------


@pytest.fixture
def parrot(tmp_path: Path) -> Path:
    root = tmp_path / "pets"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.legacy_harness]\n")
    (root / "parrot.py").write_text(doc_block("# parrot.py"))
    (root / "flock.py").write_text(FLOCK)
    done = run_cli(root, "record", "-t", "parrot:Parrot.fly", "-t", "parrot:Parrot.speed",
                   "--", "flock.py")  # fmt: skip
    assert done.returncode == 0, done.stderr
    return root


def masters(root: Path) -> dict[str, bytes]:
    store = root / "tests" / "golden"
    return {str(p.relative_to(store)): p.read_bytes() for p in store.rglob("*") if p.is_file()}


def test_the_docs_parrot_example_verifies_and_migrates_the_masters(parrot: Path) -> None:
    done = run_cli(parrot, *doc_command())
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "recorded parrot:Parrot objects in 6 master(s) migrated:"
        " coconuts, nailed, voltage now in _speed_model (parrot:SpeedModel)" in done.stdout
    )
    assert "verified: 6 masters of parrot:Parrot.fly, parrot:Parrot.speed behave" in done.stdout
    after = doc_block("# parrot.py, after")
    assert (parrot / "parrot.py").read_text() == after
    fly = next((parrot / "tests" / "golden" / "parrot" / "Parrot.fly").glob("case-*.json"))
    state = json.loads(fly.read_text())["inputs"]["self"]["state"]
    assert set(state) == {"_speed_model", "flights", "name"}
    assert state["_speed_model"]["$object"] == "parrot:SpeedModel"
    assert run_cli(parrot, "verify").returncode == 0
    # recording the same calls again finds the migrated masters of unchanged code as they are
    again = run_cli(parrot, "record", "-t", "parrot:Parrot.fly", "--", "flock.py")
    assert "3 cases (0 new, 0 updated, 3 unchanged)" in again.stderr, again.stderr


def test_a_failed_verification_puts_the_masters_back_byte_for_byte(parrot: Path) -> None:
    before, source = masters(parrot), (parrot / "parrot.py").read_bytes()
    calls: list[list[str]] = []

    def replay(config: object, targets: list[str]) -> VerifyRun:
        calls.append(targets)
        if len(calls) == 1:
            return VerifyRun(0, [{"status": "passed"}])
        assert masters(parrot) != before  # migrated while the new code is replayed
        return VerifyRun(1, [{"status": "changed", "target": targets[0], "id": "x"}])

    args = {"class": "parrot:Parrot", "methods": "speed,base_speed", "name": "SpeedModel"}
    result = run_loop("extract-class", [parrot / "parrot.py"], args, load_config(parrot),
                      apply=True, verify=True, replay=replay,
                      reach=lambda config, files: set())  # fmt: skip
    assert result.restored and not result.applied
    assert "would be migrated" in result.notes[0]
    assert masters(parrot) == before and (parrot / "parrot.py").read_bytes() == source


def test_every_migrated_master_is_replayed(parrot: Path) -> None:
    (parrot / "aviary.py").write_text("def count(birds):\n    return len(birds)\n")
    (parrot / "census.py").write_text(FLOCK + "import aviary\nprint(aviary.count(flock))\n")
    recorded = run_cli(parrot, "record", "-t", "aviary:count", "--", "census.py")
    assert recorded.returncode == 0, recorded.stderr
    replayed: list[list[str]] = []

    def replay(config: object, targets: list[str]) -> VerifyRun:
        replayed.append(targets)
        return VerifyRun(0, [{"status": "passed"}])

    args = {"class": "parrot:Parrot", "methods": "speed,base_speed", "name": "SpeedModel"}
    run_loop("extract-class", [parrot / "parrot.py"], args, load_config(parrot),
             apply=False, verify=True, replay=replay, reach=lambda config, files: set())  # fmt: skip
    # aviary:count never runs parrot.py, but its master holds three migrated parrots
    assert (
        replayed[0] == replayed[1] == ["aviary:count", "parrot:Parrot.fly", "parrot:Parrot.speed"]
    )


def test_the_migration_is_planned_from_the_refactored_source(parrot: Path) -> None:
    from legacy_harness.refactor import transform_files

    args = {"class": "parrot:Parrot", "methods": "speed,base_speed", "name": "SpeedModel"}
    changes = transform_files("extract-class", [parrot / "parrot.py"], **args)
    store = GoldenStore(parrot / "tests" / "golden")
    migration = migration_for("extract-class", args, changes, store)
    assert migration.extractions == (
        Extraction(
            "parrot:Parrot",
            "parrot:SpeedModel",
            "_speed_model",
            frozenset({"coconuts", "voltage", "nailed"}),
        ),
    )
    rewrites = plan_rewrites(store, migration)
    assert len(rewrites) == 6 and all(r.nodes >= 1 and not r.moved for r in rewrites)


def test_a_class_rename_moves_the_masters_and_renames_the_recorded_objects(parrot: Path) -> None:
    done = run_cli(parrot, "refactor", "rename", "--old", "parrot:Parrot", "--new", "Bird",
                   "parrot.py", "flock.py", "--apply", "--verify")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "masters of parrot:Parrot.fly moved to parrot:Bird.fly" in done.stdout
    assert "parrot:Parrot renamed to parrot:Bird where 6 master(s) recorded it" in done.stdout
    store = GoldenStore(parrot / "tests" / "golden")
    assert store.targets() == ["parrot:Bird.fly", "parrot:Bird.speed"]
    assert not (parrot / "tests" / "golden" / "parrot" / "Parrot.fly").exists()
    text = "".join(p.read_text() for p in store.iter_paths())
    assert '"parrot:Parrot"' not in text and '"$object": "parrot:Bird"' in text
    assert run_cli(parrot, "verify").returncode == 0
    # the moved masters carry the ids a recording gives: recording again adds no file
    before = sorted(store.iter_paths())
    again = run_cli(parrot, "record", "-t", "parrot:Bird.fly", "-t", "parrot:Bird.speed",
                    "--", "flock.py")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert sorted(store.iter_paths()) == before and "0 new" in again.stderr


MACAW = """

class Macaw(Parrot):
    def shout(self):
        return self.name.upper() + "!" * self.flights
"""


def test_extract_class_migrates_subclasses_defined_beside_the_class(tmp_path: Path) -> None:
    from legacy_harness.refactor import transform_files

    source = tmp_path / "parrot.py"
    source.write_text(doc_block("# parrot.py") + MACAW)
    args = {"class": "parrot:Parrot", "methods": "speed,base_speed", "name": "SpeedModel"}
    changes = transform_files("extract-class", [source], **args)
    migration = migration_for("extract-class", args, changes, GoldenStore(tmp_path / "none"))
    assert [e.owner for e in migration.extractions] == ["parrot:Parrot", "parrot:Macaw"]
    assert {e.collaborator for e in migration.extractions} == {"parrot:SpeedModel"}


def test_an_attribute_rename_migrates_the_class_and_its_subclasses(parrot: Path) -> None:
    (parrot / "parrot.py").write_text((parrot / "parrot.py").read_text() + MACAW)
    with (parrot / "flock.py").open("a") as flock:
        flock.write('macaw = __import__("parrot").Macaw("Ara", 0, 2.0, False)\n')
        flock.write("macaw.fly(10)\nprint(macaw.shout())\n")
    recorded = run_cli(parrot, "record", "-t", "parrot:Macaw.shout", "--", "flock.py")
    assert recorded.returncode == 0, recorded.stderr
    done = run_cli(parrot, "refactor", "rename", "--old", "parrot:Parrot.flights", "--new",
                   "trips", "--unique-attribute", "parrot.py", "--apply", "--verify")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "recorded parrot:Parrot, parrot:Macaw objects in 7 master(s) migrated: flights now trips"
        in done.stdout
    )
    assert "self.trips += 1" in (parrot / "parrot.py").read_text()
    text = "".join(p.read_text() for p in (parrot / "tests" / "golden").rglob("case-*.json"))
    assert '"flights"' not in text and text.count('"trips"') == 10  # fly: in, out; speed, shout: in
    assert run_cli(parrot, "verify").returncode == 0


KILLER = """
import os, signal, sys
WHEN = int(os.environ["KILL_AT"])
seen = 0

def hook(event, args):
    global seen
    # a master removed, or put in place (named in the store, or relative to its folder)
    named = str(args[1]) if event in ("os.rename", "os.link") else ""
    if event == "os.remove" or "golden" in named or os.path.basename(named).startswith("case-"):
        seen += 1
        if seen == WHEN:
            os.kill(os.getpid(), signal.SIGKILL)

sys.addaudithook(hook)
from legacy_harness.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL and flock")
@pytest.mark.parametrize("when", [3, 9])
def test_an_extract_class_killed_mid_migration_is_rolled_back(
    parrot: Path, tmp_path: Path, when: int
) -> None:
    before, source = masters(parrot), (parrot / "parrot.py").read_bytes()
    killer = tmp_path / "killer.py"
    killer.write_text(textwrap.dedent(KILLER))
    done = subprocess.run(
        [sys.executable, str(killer), *doc_command()[:-1]],  # --apply, without --verify
        cwd=parrot, env=cli_env({"KILL_AT": str(when)}), capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    assert (parrot / JOURNAL_NAME).exists() and masters(parrot) != before
    recovered = run_cli(parrot, "verify")
    assert "rolled back an interrupted refactoring (refactor extract-class" in recovered.stderr
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert masters(parrot) == before and (parrot / "parrot.py").read_bytes() == source
