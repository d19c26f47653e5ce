"""The docs show what the code writes: golden-format.md's fields, folders, tags and limits
come from a real recording, and the README's sample diff is the real output of verify
after a known edit of the pricing example."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_runner import run_cli
from paths import EXAMPLES, REPO

from legacy_harness.store.codec.limits import Limits, parse_size
from legacy_harness.store.codec.registry import decoder_for

GOLDEN_FORMAT = REPO / "docs" / "golden-format.md"
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)

# A small project whose recording writes every field: a method that changes self, prints
# and logs; a function that raises; random draws and a large array (rng, blobs); an
# unencodable argument; a redacted password; branches for characterize to reach.
PETS = """\
import logging
import random

import numpy as np

log = logging.getLogger("pets")


class Kennel:
    def __init__(self):
        self.dogs = []

    def admit(self, name):
        self.dogs.append(name)
        print(f"admitted {name}")
        log.warning("kennel holds %d", len(self.dogs))
        return len(self.dogs)


def adopt(name: str, age: int):
    if age < 0:
        raise ValueError(f"age of {name} is negative")
    return "puppy" if age < 2 else "dog"


def litter(n):
    return np.random.normal(0, 1, size=n) + random.random()


def tail(lines):
    return sum(1 for _ in lines)


def login(user, password):
    return f"{user} logged in"


def size(weight: int):
    if weight > 30:
        return "large"
    if weight > 10:
        return "medium"
    return "small"
"""

DAY = """\
import pets

kennel = pets.Kennel()
kennel.admit("Rex")
pets.adopt("Rex", 1)
try:
    pets.adopt("Odd", -1)
except ValueError:
    pass
pets.litter(100)
pets.tail(line for line in ["a", "b"])
pets.login("ada", "s3cret")
pets.size(5)
"""

TARGETS = ["pets:Kennel.admit", "pets:adopt", "pets:litter", "pets:tail", "pets:login", "pets:size"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store as record, record --runs, characterize and approve leave it."""
    root = tmp_path_factory.mktemp("format") / "pets"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.legacy_harness]\n")
    (root / "pets.py").write_text(PETS)
    (root / "day.py").write_text(DAY)
    steps = [
        ["record", *(f"-t{target}" for target in TARGETS), "--", "day.py"],
        ["record", "-t", "pets:litter", "--runs", "5", "--", "day.py"],
        ["characterize", "--target", "pets:size", "--max-examples", "30", "--budget", "20"],
        ["approve", "--all"],
    ]
    for step in steps:
        done = run_cli(root, *step)
        assert done.returncode == 0, (step, done.stdout, done.stderr)
    return root / "tests" / "golden"


def cases(store: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(store.rglob("case-*.json")):
        yield path, json.loads(path.read_text())


def fields(case: dict[str, Any]) -> set[str]:
    """The structural fields of a case file (value trees are not descended into)."""
    found = set()
    for key, value in case.items():
        if key in ("inputs", "outcome", "output", "rng", "meta", "distribution"):
            found |= {f"{key}.{inner}" for inner in value}
        else:
            found.add(key)
    raised = case["outcome"].get("raised", {})
    found |= {f"outcome.raised.{key}" for key in raised}
    found |= {f"output.logs[].{key}" for record in case["output"]["logs"] for key in record}
    found |= {f"meta.reviewed.{key}" for key in case["meta"].get("reviewed", {})}
    distribution = case.get("distribution", {})
    for part in ("numeric", "categorical"):
        if part in distribution:
            found.discard(f"distribution.{part}")
            found |= {f"distribution.{part}.{key}" for key in distribution[part]}
    return found - {"outcome.raised", "meta.reviewed"}  # described by their own fields


def doc_table(heading: str) -> list[list[str]]:
    """The rows of the first table under ``## heading`` in golden-format.md."""
    text = GOLDEN_FORMAT.read_text()
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows[2:]]


def test_the_fields_table_lists_exactly_the_fields_a_recording_writes(store: Path) -> None:
    written = set().union(*(fields(case) for _, case in cases(store)))
    documented = {row[0].strip("`") for row in doc_table("Fields")}
    assert documented - written == set(), "golden-format.md lists fields no recording writes"
    assert written - documented == set(), "golden-format.md misses fields a recording writes"


def test_the_layout_is_the_folders_a_recording_writes(store: Path, tmp_path: Path) -> None:
    block = next(body for kind, body in FENCE.findall(GOLDEN_FORMAT.read_text()) if not kind)
    documented: set[str] = set()
    parents: list[str] = []
    for line in block.splitlines()[1:]:  # below the store itself
        depth = (len(line) - len(line.lstrip())) // 2 - 1
        name = line.split("#")[0].strip()
        parents[depth:] = [name]
        documented.add("".join(parents))
    written: set[str] = set()
    for path, case in cases(store):
        module, qualname = case["target"].split(":")
        assert path.relative_to(store).as_posix() == f"{module}/{qualname}/case-{case['id']}.json"
        written |= {"<module>/", "<module>/<qualname>/", "<module>/<qualname>/case-<id>.json"}
    for blob in store.rglob("blobs/*"):
        assert re.fullmatch(r"[0-9a-f]{32}\.npy", blob.name), blob
        written |= {"<module>/<qualname>/blobs/", "<module>/<qualname>/blobs/<sha>.npy"}
    # the sample holds no large value: a case that does shows where shared values go
    from legacy_harness.store import codec
    from legacy_harness.store.case import GoldenCase, Observation
    from legacy_harness.store.disk import GoldenStore

    inputs = {"args": [[f"row {i}" for i in range(400)]], "kwargs": {}}
    output = {"stdout": "", "stderr": "", "logs": []}
    case_id = codec.tree_hash({"target": "m:f", "inputs": inputs})
    observation = Observation({"returned": None}, {}, output)
    GoldenStore(tmp_path).write(GoldenCase("m:f", case_id, inputs, observation, None, {}))
    for shared in tmp_path.rglob("blobs/*"):
        assert shared.relative_to(tmp_path).parts[:3] == ("m", "f", "blobs"), shared
        assert re.fullmatch(r"[0-9a-f]{64}\.json", shared.name), shared
        written |= {"<module>/<qualname>/blobs/", "<module>/<qualname>/blobs/<sha256>.json"}
    assert documented == written


def test_the_example_case_is_a_real_recording(store: Path) -> None:
    example = json.loads(
        next(b for k, b in FENCE.findall(GOLDEN_FORMAT.read_text()) if k == "json")
    )
    path = store / "pets" / "Kennel.admit" / f"case-{example['id']}.json"
    real = json.loads(path.read_text())
    real["meta"].pop("reviewed")  # added by the approve step of the fixture
    for key in ("python", "platform", "numpy"):  # where it was recorded
        real["meta"][key] = example["meta"][key]
    assert example == real


def codec_tags() -> set[str]:
    """Every tag the codec's families decode, found in their sources."""
    sources = (REPO / "legacy_harness" / "store" / "codec").glob("*.py")
    candidates = {m for p in sources for m in re.findall(r'"(\$[a-z]+)"', p.read_text())}
    return {tag for tag in candidates if decoder_for(tag) is not None}


def test_the_tags_table_lists_exactly_the_codec_tags() -> None:
    documented = {
        tag for row in doc_table("Encoded values") for tag in re.findall(r"`(\$[a-z]+)`", row[0])
    }
    assert codec_tags() - documented == set(), "golden-format.md misses codec tags"
    assert documented - codec_tags() == set(), "golden-format.md lists tags the codec lacks"


def test_the_limits_table_is_the_limits_and_their_defaults() -> None:
    rows = {row[0].strip("`"): row[1] for row in doc_table("Limits")}
    defaults = {f.name: f.default for f in dataclasses.fields(Limits)}
    assert set(rows) == set(defaults)
    for name, shown in rows.items():
        value = int(shown) if name == "max_depth" else parse_size(shown, name)
        assert value == defaults[name], name


# -- the README's sample diff ------------------------------------------------------------

EDIT = ('"BE": 0.21', '"BE": 0.20')  # the Belgian VAT rate, as the docs say
SAMPLE_DOCS = [REPO / "README.md", REPO / "docs" / "getting-started.md"]


@pytest.fixture(scope="module")
def verify_after_the_edit(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("sample") / "pricing"
    shutil.copytree(
        EXAMPLES / "legacy_pricing", root, ignore=shutil.ignore_patterns("tests", "__pycache__")
    )
    done = run_cli(root, "record", "--target", "billing:compute_invoice",
                   "--target", "shop:Cart.checkout", "--", "run_month_end.py", "2024-03")  # fmt: skip
    assert done.returncode == 0, done.stderr
    billing = root / "billing.py"
    source = billing.read_text()
    assert source.count(EDIT[0]) == 1
    billing.write_text(source.replace(*EDIT))
    done = run_cli(root, "verify")
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stdout.replace(str(root) + "/", "")


def normalised(text: str) -> str:
    """The output with case ids left out: all the docs may differ in."""
    return re.sub(r"case-[0-9a-f]{16,64}", "case-<id>", text).strip()


@pytest.mark.parametrize("doc", SAMPLE_DOCS, ids=lambda p: p.name)
def test_the_sample_diff_is_what_verify_prints_after_the_edit(
    doc: Path, verify_after_the_edit: str
) -> None:
    text = doc.read_text()
    assert "Belgian VAT rate" in text and "0.21 to 0.20" in text, "the docs name the edit"
    block = next(body for kind, body in FENCE.findall(text) if "CHANGED billing:" in body)
    assert normalised(block) == normalised(verify_after_the_edit)
