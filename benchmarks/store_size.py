"""Store size when every case of a target holds the same large value, before and after
shared values.

A ``Shop`` whose ``self.catalog`` is a ~50 kB dict is recorded for 80 distinct quotes,
once with shared values off (each case file holds the catalog: the store before) and
once as the store writes today (the catalog stored once under the target's folder),
in the same run. Figures: the whole store, and what each case after the first adds
(aim: under 5 kB). Re-recording the same calls must change no byte: the last row counts
the files that changed. It only prints figures: it never fails.

    python benchmarks/store_size.py [--quick]
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _table import Row  # noqa: E402

from legacy_harness.record.recorder import recording  # noqa: E402
from legacy_harness.store import shared  # noqa: E402

BENCHMARK = "store_size"
SHOP = """
class Shop:
    def __init__(self):
        self.catalog = {
            f"sku-{i:04d}": {"name": f"item {i}", "price": round(i * 1.25, 2), "tags": ["a", "b"]}
            for i in range(850)
        }
        self.quotes = 0

    def quote(self, sku, qty):
        self.quotes += 1
        return round(self.catalog[sku]["price"] * qty, 2)
"""


def size(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def record(mod: object, store: Path, cases: int) -> None:
    shop = mod.Shop()  # type: ignore[attr-defined]
    with recording(["bench_shop:Shop.quote"], store=store, mode="all"):
        for n in range(cases):
            shop.quotes = 0
            shop.quote(f"sku-{n:04d}", 3)


def measure(workdir: Path, cases: int, share: bool) -> tuple[int, int]:
    """(bytes of a store of one case, bytes of a store of ``cases`` cases)."""
    saved = shared.SHARE_FROM
    if not share:
        shared.SHARE_FROM = 1 << 62  # nothing is large enough: the store before
    try:
        mod = importlib.import_module("bench_shop")
        label = "shared" if share else "inline"
        record(mod, workdir / f"{label}-1", 1)
        record(mod, workdir / f"{label}-n", cases)
        return size(workdir / f"{label}-1"), size(workdir / f"{label}-n")
    finally:
        shared.SHARE_FROM = saved


def unchanged_files(workdir: Path, cases: int) -> int:
    """Files that changed when the same calls were recorded again (mode all)."""
    mod = importlib.import_module("bench_shop")
    store = workdir / "again"
    record(mod, store, cases)
    before = {p: p.read_bytes() for p in store.rglob("*") if p.is_file()}
    record(mod, store, cases)
    after = {p: p.read_bytes() for p in store.rglob("*") if p.is_file()}
    return sum(before.get(p) != data for p, data in after.items()) + len(set(before) - set(after))


def rows(quick: bool = False) -> list[Row]:
    cases = 20 if quick else 80
    workdir = Path(tempfile.mkdtemp(prefix="lh-store-"))
    try:
        (workdir / "bench_shop.py").write_text(SHOP)
        sys.path.insert(0, str(workdir))
        sys.modules.pop("bench_shop", None)
        catalog = len(str(importlib.import_module("bench_shop").Shop().catalog))
        one_before, all_before = measure(workdir, cases, share=False)
        one_after, all_after = measure(workdir, cases, share=True)
        changed = unchanged_files(workdir, min(cases, 10))
    finally:
        sys.path.remove(str(workdir))
        shutil.rmtree(workdir, ignore_errors=True)
    per_before = (all_before - one_before) / (cases - 1) / 1e3
    per_after = (all_after - one_after) / (cases - 1) / 1e3
    before = "each case holds it (before)"
    return [
        Row(
            BENCHMARK,
            f"store of {cases} cases sharing a {catalog / 1e3:.0f} kB catalog in self",
            all_after / 1e3,
            "kB",
            all_before / 1e3,
            before,
        ),
        Row(
            BENCHMARK,
            "bytes each further case adds",
            per_after,
            "kB",
            per_before,
            before,
            "< 5 kB",
        ),
        Row(BENCHMARK, "files changed by re-recording the same calls", changed, "files", aim="0"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 cases")
    args = parser.parse_args()
    for row in rows(args.quick):
        reference = (
            f"  ({row.reference_name}: {row.reference:.1f} {row.unit})" if row.reference else ""
        )
        print(f"{row.figure:<62} {row.value:9.1f} {row.unit}{reference}")


if __name__ == "__main__":
    main()
