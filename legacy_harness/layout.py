"""Names of the store's files and folders, importable without numpy.

The pytest plugin loads in every pytest run of a project that installs legacy-harness;
it needs these names to add its options and collect stored cases by file name, so they
live here rather than beside the code that reads and writes the files.
"""

from __future__ import annotations

__all__ = [
    "BLOB_FOLDER",
    "CASE_PREFIX",
    "CASE_SUFFIX",
    "CHANGED",
    "CHECKS_FOLDER",
    "CREATED",
    "MISSING",
    "PASSED",
    "RECORD_MODES",
    "UPDATED",
]

# <store>/<module>/<qualname>/case-<id>.json, arrays in blobs/ beside the cases.
CASE_PREFIX = "case-"
CASE_SUFFIX = ".json"
BLOB_FOLDER = "blobs"

# Masters of the golden fixture's checks: <store>/__checks__/<test module path>/...
CHECKS_FOLDER = "__checks__"

# --golden-record: none never writes, new creates missing masters, all rewrites them.
RECORD_MODES = ("none", "new", "all")

# What one check did to its master, as counted in the plugin's summary.
PASSED, CHANGED, CREATED, UPDATED, MISSING = "passed", "changed", "created", "updated", "missing"
