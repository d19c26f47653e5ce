"""The hook this repository offers to pre-commit declares what it needs of pre-commit."""

from __future__ import annotations

import re

from paths import REPO

HOOKS = REPO / ".pre-commit-hooks.yaml"


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def hooks() -> list[dict[str, str]]:
    """Each hook's top-level keys, read from the flat YAML list the file holds."""
    found: list[dict[str, str]] = []
    for line in HOOKS.read_text(encoding="utf-8").splitlines():
        item = re.match(r"^- (\w+): (.*)$", line)
        key = re.match(r"^  (\w+): (.*)$", line)
        if item:
            found.append({item[1]: item[2]})
        elif key and found:
            found[-1][key[1]] = key[2]
    return found


def test_every_hook_names_the_pre_commit_version_its_stages_need() -> None:
    found = hooks()
    assert [hook["id"] for hook in found] == ["legacy-harness-check"]
    for hook in found:
        stages = re.findall(r"[\w-]+", hook.get("stages", ""))
        assert "minimum_pre_commit_version" in hook, hook["id"]
        minimum = version(hook["minimum_pre_commit_version"].strip("\"'"))
        if {"pre-commit", "pre-push", "pre-merge-commit"} & set(stages):
            assert minimum >= (3, 2, 0)  # the release that introduced these stage names
