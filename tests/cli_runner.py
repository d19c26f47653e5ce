"""Run the command line as a user would: a subprocess in a project folder."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


#: Variables that say "CI" (legacy_harness.terminal.CI_VARIABLES): dropped, so a run in
#: a test behaves the same on a laptop and in a CI job, unless a test sets them itself.
CI_VARIABLES = ("GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "JENKINS_URL", "TF_BUILD", "CI")


def cli_env(
    extra: Mapping[str, str] | None = None, *, drop: tuple[str, ...] = ()
) -> dict[str, str]:
    """The environment of a run: this checkout importable, no colours, no CI, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in CI_VARIABLES}
    env.update({"PYTHONPATH": str(REPO), "NO_COLOR": "1", **(extra or {})})
    for name in drop:
        env.pop(name, None)
    return env


def run_cli(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``legacy-harness ARGS`` in ``cwd``, output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "legacy_harness", *args],
        cwd=cwd, env=cli_env(env), capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
