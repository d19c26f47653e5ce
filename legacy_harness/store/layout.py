"""Names of the store's files and folders, importable without numpy.

The pytest plugin loads in every pytest run of a project that installs legacy-harness;
it needs these names to add its options and collect stored cases by file name, so they
live here rather than beside the code that reads and writes the files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from legacy_harness.errors import TargetError

__all__ = [
    "BLOB_FOLDER",
    "CASE_ID",
    "CASE_PREFIX",
    "CASE_SUFFIX",
    "CHECKS_FOLDER",
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


@dataclass(frozen=True, order=True)
class TargetSpec:
    module: str
    qualname: str

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
