"""Names of the store's files and folders, importable without numpy.

The pytest plugin loads in every pytest run of a project that installs legacy-harness;
it needs these names to add its options and collect stored cases by file name, so they
live here rather than beside the code that reads and writes the files.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

from legacy_harness.errors import TargetError
from legacy_harness.values import Frozen

__all__ = [
    "BLOB_FOLDER",
    "CASE_ID",
    "CASE_PREFIX",
    "CASE_SUFFIX",
    "CHECKS_FOLDER",
    "TargetPattern",
    "TargetSpec",
]

# <store>/<module>/<qualname>/case-<id>.json, arrays in blobs/ beside the cases.
CASE_PREFIX = "case-"
CASE_SUFFIX = ".json"
BLOB_FOLDER = "blobs"
#: A case id as record writes it: a hex digest of the inputs (16 digits; up to 64 kept
#: for longer digests). An id from a file or a user is checked against it before it
#: becomes part of a path, so ``"../../x"`` never names a file outside the store.
CASE_ID = re.compile(r"^[0-9a-f]{16,64}$")

# Masters of the golden fixture's checks: <store>/__checks__/<test module path>/...
CHECKS_FOLDER = "__checks__"


class TargetSpec(Frozen):
    FIELDS = ("module", "qualname")

    module: str
    qualname: str

    def __init__(self, module: str, qualname: str) -> None:
        self.__dict__.update(module=module, qualname=qualname)

    def _key(self, other: object) -> tuple[tuple[str, str], tuple[str, str]]:
        if type(other) is not type(self):
            raise TypeError(f"cannot order TargetSpec and {type(other).__name__}")
        return (self.module, self.qualname), (other.module, other.qualname)  # type: ignore[attr-defined]

    def __lt__(self, other: object) -> bool:
        mine, theirs = self._key(other)
        return mine < theirs

    def __le__(self, other: object) -> bool:
        mine, theirs = self._key(other)
        return mine <= theirs

    def __gt__(self, other: object) -> bool:
        mine, theirs = self._key(other)
        return mine > theirs

    def __ge__(self, other: object) -> bool:
        mine, theirs = self._key(other)
        return mine >= theirs

    @classmethod
    def parse(cls, text: str) -> TargetSpec:
        module, sep, qualname = text.strip().partition(":")
        if not sep or not module or not qualname:
            raise TargetError(
                f"target {text!r} is not of the form 'module:qualname'"
                " (for example 'billing:compute_invoice' or 'shop:Cart.checkout')"
            )
        parts = [*module.split("."), *qualname.split(".")]
        if not all(part.isidentifier() for part in parts):
            raise TargetError(f"target {text!r} has a part that is not a Python identifier")
        return cls(module, qualname)

    @property
    def package(self) -> str:
        return self.module.split(".")[0]

    def __str__(self) -> str:
        return f"{self.module}:{self.qualname}"


#: A name segment of a pattern: an identifier, or a glob over one (``compute_*``, ``?x``).
_SEGMENT = re.compile(r"^[A-Za-z0-9_*?\[\]!-]+$")
_GLOB_CHARS = frozenset("*?[")
#: The module segment that stands for any number of segments: a package walk.
WALK = "**"


class TargetPattern(Frozen):
    """What a user names to record or select: a module, a class, one function, or globs.

    ``billing`` (every function and method defined in the module), ``shop:Cart`` (every
    method of the class), ``shop:Cart.total`` (one), ``pkg.**`` (a package walk: the
    package and every module below it), ``billing:compute_*`` and ``pkg.*:*`` (globs on
    one name each, as in fnmatch). A qualname pattern names a prefix: a class it matches
    brings all its methods, so matching a concrete target by name (:meth:`matches`)
    agrees with what :func:`legacy_harness.record.targets.expand` finds by importing.
    """

    FIELDS = ("text", "module", "qualname")

    text: str
    module: tuple[str, ...]
    qualname: tuple[str, ...]

    def __init__(self, text: str, module: tuple[str, ...], qualname: tuple[str, ...] = ()) -> None:
        self.__dict__.update(text=text, module=module, qualname=qualname)

    @classmethod
    def parse(cls, text: str) -> TargetPattern:
        stripped = text.strip()
        module, sep, qualname = stripped.partition(":")
        if not module or (sep and not qualname):
            raise TargetError(
                f"target {text!r} names no module; write 'module', 'module:Class',"
                " 'module:function', 'pkg.**' or a glob such as 'billing:compute_*'"
            )
        module_parts = tuple(module.split("."))
        qualname_parts = tuple(qualname.split(".")) if sep else ()
        for part in (*module_parts, *qualname_parts):
            if not part or not _SEGMENT.fullmatch(part) or part[0].isdigit():
                raise TargetError(
                    f"target {text!r} has a part {part!r} that is neither a Python identifier"
                    " nor a glob over one"
                )
        if WALK in qualname_parts:
            raise TargetError(
                f"target {text!r}: '**' walks packages, in the module part only; in the"
                " qualname a class already stands for all its methods ('mod:Cart')"
            )
        if module_parts.count(WALK) > 1 or any(
            WALK in part and part != WALK for part in module_parts
        ):
            raise TargetError(f"target {text!r}: use '**' once, as a whole part ('pkg.**')")
        return cls(stripped, module_parts, qualname_parts)

    @property
    def glob(self) -> bool:
        """True if any part is a glob: the pattern may match many modules or names."""
        return any(_GLOB_CHARS.intersection(part) for part in (*self.module, *self.qualname))

    @property
    def module_glob(self) -> bool:
        return any(_GLOB_CHARS.intersection(part) for part in self.module)

    def matches_module(self, module: str) -> bool:
        """True if ``module`` is one of the modules the pattern's module part names."""
        return _match_parts(self.module, tuple(module.split(".")))

    def matches(self, target: TargetSpec | str) -> bool:
        """True if the pattern names ``target`` ("module:qualname"), decided by name alone."""
        spec = target if isinstance(target, TargetSpec) else TargetSpec.parse(target)
        if not self.matches_module(spec.module):
            return False
        names = spec.qualname.split(".")
        return len(self.qualname) <= len(names) and all(
            fnmatchcase(name, part) for name, part in zip(names, self.qualname, strict=False)
        )

    def __str__(self) -> str:
        return self.text


def _match_parts(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == WALK:
        return any(_match_parts(rest, parts[index:]) for index in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], head) and _match_parts(rest, parts[1:])
