"""Which golden masters reach a file: their replays, measured by coverage.py.

A refactoring of ``shopping_cart.py`` can change the behaviour that ``teller.py``'s
masters pin, because the Teller's methods call into the cart. So ``--verify`` does not
stop at the targets defined in the changed files: it replays every master of the store
under coverage.py restricted to those files (``include=``), one coverage context per
target, and keeps the targets whose replays ran a line of a function body in them.

Lines that run when a module is imported (``def`` and ``class`` statements, constants)
are not counted: the first replay that imports a module would otherwise seem to reach
all of it. The measurement runs in a fresh interpreter (``python -m
legacy_harness.refactor.reach``), like the replays around the change, so that it sees
the files on disk and not modules this process imported; one run measures every
changed file at once.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from legacy_harness.config import Config, load_config
from legacy_harness.errors import GoldenFileError, HarnessError

__all__ = ["body_lines", "measure_reach", "reached_targets", "targets_reaching"]


def body_lines(source: str) -> set[int]:
    """Line numbers inside function bodies: what runs when a function is called."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for statement in node.body:
                end = statement.end_lineno or statement.lineno
                lines.update(range(statement.lineno, end + 1))
    return lines


def targets_reaching(
    contexts_by_line: Mapping[str, Mapping[int, Iterable[str]]], bodies: Mapping[str, set[int]]
) -> dict[str, list[str]]:
    """Target -> the measured files whose function bodies its replays ran.

    ``contexts_by_line`` is coverage.py's ``{file: {line: [context, ...]}}``; a
    context is the target whose replay ran the line (the empty one is no target).
    """
    reached: dict[str, set[str]] = {}
    for filename, lines in contexts_by_line.items():
        inside = bodies.get(filename, set())
        for line, contexts in lines.items():
            if line not in inside:
                continue
            for context in contexts:
                if context:
                    reached.setdefault(context, set()).add(filename)
    return {target: sorted(files) for target, files in sorted(reached.items())}


def measure_reach(config: Config, files: Sequence[Path]) -> dict[str, list[str]]:
    """Replay every master of ``config.store`` under coverage.py limited to ``files``.

    In-process: call it in an interpreter that has not imported the project's modules
    before the files changed (:func:`reached_targets` starts one). Cases that cannot be
    replayed reach nothing; a bad golden file is skipped (``verify`` reports it).
    """
    import coverage

    from legacy_harness.verify import VerifySession, verify_case

    session = VerifySession.open(config)
    wanted = {os.path.realpath(path) for path in files}
    bodies = {name: body_lines(Path(name).read_text(encoding="utf-8")) for name in wanted}
    cases = [item for item in session.store.iter_cases() if not isinstance(item, GoldenFileError)]
    first = {stored.case.target: stored for stored in reversed(cases)}
    for stored in first.values():
        try:  # import before measuring: import-time lines belong to no target
            session.target_of(stored)
        except HarnessError:
            continue
    include = sorted(wanted | {os.path.abspath(path) for path in files})
    cov = coverage.Coverage(data_file=None, include=include, config_file=False)
    cov.start()
    try:
        for stored in cases:
            cov.switch_context(stored.case.target)
            verify_case(session, stored)
    finally:
        cov.stop()
    data = cov.get_data()
    data.set_query_contexts(None)
    measured = {
        os.path.realpath(name): data.contexts_by_lineno(name) for name in data.measured_files()
    }
    return targets_reaching(measured, bodies)


def reached_targets(config: Config, files: Sequence[Path]) -> set[str]:
    """Targets whose masters' replays reach ``files``, measured in a fresh interpreter."""
    with tempfile.TemporaryDirectory(prefix="legacy-harness-reach-") as folder:
        output = Path(folder) / "reach.json"
        command = [sys.executable, "-m", "legacy_harness.refactor.reach"]
        command += ["--store", str(config.store), "--output", str(output)]
        command += [str(Path(path).resolve()) for path in files]
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        done = subprocess.run(command, cwd=config.root, capture_output=True, text=True, env=env)
        try:
            document = json.loads(output.read_text(encoding="utf-8"))
            return set(document["targets"])
        except (OSError, json.JSONDecodeError, KeyError, TypeError):
            pass
    last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
    raise HarnessError(
        f"could not measure which masters reach {', '.join(str(f) for f in files)}"
        f" (replay under coverage.py failed: {last}); run legacy-harness verify to see why"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m legacy_harness.refactor.reach --store DIR --output JSON FILE...``.

    The result goes to a file, not stdout: the replayed code may print.
    """
    parser = argparse.ArgumentParser(prog="python -m legacy_harness.refactor.reach")
    parser.add_argument("--store", required=True, help="the golden store to replay")
    parser.add_argument("--output", required=True, type=Path, help="where the JSON goes")
    parser.add_argument("files", nargs="+", type=Path, help="files whose reach is measured")
    args = parser.parse_args(argv)
    config = load_config().with_store(args.store)
    reach = measure_reach(config, args.files)
    document = {"targets": sorted(reach), "files": reach}
    args.output.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover - run by reached_targets in a subprocess
    sys.exit(main())
