"""How paths and nested blocks of text are shown to people.

Kept apart from :mod:`report` (which needs the comparison engine and numpy) so the
store and the command line can name files without loading either.
"""

from __future__ import annotations

import os
from pathlib import Path


def shown(path: str | Path, base: Path | None = None) -> str:
    """A path as the user would type it: relative to ``base`` (the working folder) when
    inside it. Never resolved: a link is named as the link, not as where it points."""
    absolute = os.path.abspath(path)
    try:
        return Path(absolute).relative_to(os.path.abspath(base or Path.cwd())).as_posix()
    except ValueError:
        return absolute


def indent(text: str, width: int = 2) -> str:
    """Indent every non-empty line, for nesting one report inside another."""
    return "\n".join((" " * width + line) if line else line for line in text.splitlines())
