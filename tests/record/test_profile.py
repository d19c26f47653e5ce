"""Input profiles: bounded, deterministic summaries of every call a recording saw."""

from __future__ import annotations

import enum
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from legacy_harness.errors import GoldenFileError
from legacy_harness.record.profile import (
    OUTSIDE,
    InputProfile,
    Numbers,
    ProfileBook,
    load_profiles,
    profile_path,
    read_profile,
)
from legacy_harness.record.recorder import Recorder
from legacy_harness.record.redact import Redactor
from legacy_harness.record.targets import resolve


class Color(enum.Enum):
    RED = 1
    BLUE = 2


def test_reservoir_stays_bounded_and_uniform_over_every_value() -> None:
    numbers = Numbers(capacity=500, seed=1)
    for value in range(100_000):
        numbers.add(float(value))
    sample = numbers.sample
    assert sample.size == 500 and numbers.count == 100_000
    assert (numbers.low, numbers.high) == (0.0, 99_999.0)
    # uniform over all values seen, not the first 500: the mean is near the middle
    assert abs(sample.mean() - 50_000) < 4_000
    assert np.unique(sample).size == 500


def test_arrays_feed_the_reservoir_vectorised_and_cut_per_call() -> None:
    profile = InputProfile("m:f", positional=("x",))
    for _ in range(50):
        profile.observe((np.arange(10_000, dtype=np.int64),), {})
    leaf = profile.numbers["x[*]"]
    assert leaf.count == 50 * 256  # a huge array gives at most PER_CALL values a call
    assert leaf.integer and leaf.high <= 9_999
    assert profile.categories["x.dtype"].counts == {"int64": 50}
    assert profile.numbers["x.shape[0]"].sample.tolist() == [10_000.0] * 50


def test_leaves_are_named_like_python_paths() -> None:
    class Holder:
        def __init__(self) -> None:
            self.rate = 0.5
            self.items = [{"qty": 2, "sku": "A"}]

    profile = InputProfile("m:C.f", positional=("customer", "flag"), varargs="rest")
    profile.observe(
        ({"region": "NL", "vip": True, "tags": ("a", 1)}, None, 3.5),
        {"color": Color.RED},
        Holder(),
        caller="m:g",
    )
    assert profile.leaves() == [
        "color", "customer['region']", "customer['tags'][0]", "customer['tags'][1]",
        "customer['vip']", "flag", "len(self.items)", "rest[0]", "self.items[*]['qty']",
        "self.items[*]['sku']", "self.rate",
    ]  # fmt: skip
    assert profile.categories["color"].counts == {"Color.RED": 1}
    assert profile.categories["flag"].counts == {"None": 1}
    assert profile.callers == {"m:g": 1}


def test_data_frames_and_2d_arrays_give_one_leaf_per_column() -> None:
    profile = InputProfile("m:f", positional=("df", "X"))
    frame = pd.DataFrame({"income": [1.0, 2.0, np.nan], "region": ["a", "b", "a"]})
    profile.observe((frame, np.ones((4, 3))), {})
    assert profile.categories["df['region']"].counts == {"'a'": 2, "'b'": 1}
    assert profile.numbers["df['income']"].count == 2
    assert profile.categories["df['income']"].counts == {"nan": 1}
    assert {"X[:, 0]", "X[:, 2]", "X.shape[1]"} <= set(profile.leaves())


def test_categories_are_capped_with_an_other_bucket() -> None:
    profile = InputProfile("m:f", positional=("id",), cap=4)
    for index in range(10):
        profile.observe((f"id-{index}",), {})
    leaf = profile.categories["id"]
    assert len(leaf.counts) == 4 and leaf.other == 6 and leaf.total == 10


def test_a_hostile_object_is_counted_not_fatal() -> None:
    class Hostile:
        @property
        def __dict__(self) -> dict[str, object]:  # type: ignore[override]
            raise RuntimeError("no")

    profile = InputProfile("m:f", positional=("x",))
    profile.observe((Hostile(),), {})
    assert profile.calls == 1 and profile.failures == 1


def test_the_same_calls_give_the_same_bytes_and_a_round_trip(tmp_path: Path) -> None:
    def run() -> bytes:
        profile = InputProfile("m:f", positional=("x", "label"))
        rng = np.random.default_rng(3)
        for value in rng.normal(size=5000).tolist():
            profile.observe((value, "a" if value > 0 else "b"), {})
        return json.dumps(profile.to_tree(), sort_keys=True).encode()

    first, second = run(), run()
    assert first == second
    loaded = InputProfile.from_tree(json.loads(first))
    assert loaded.numbers["x"].count == 5000 and loaded.numbers["x"].sample.size == 2000
    assert loaded.categories["label"].total == 5000


def test_redaction_rules_keep_secrets_out_of_the_profile() -> None:
    profile = InputProfile("m:f", positional=("password", "note"))
    profile.observe(("hunter2", "mail me at ann@example.com"), {})
    redactor = Redactor.from_config({"redact": {"builtins": ["credential_keys", "emails"]}})
    tree = profile.to_tree(redactor)
    assert tree["leaves"]["password"] == {
        "categories": {"counts": {}, "other": 1},
        "redacted": True,
    }
    assert "ann@example.com" not in json.dumps(tree)


def test_bad_profile_files_name_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"format": 1, "target": "m:f", "calls": -1, "leaves": {}}))
    with pytest.raises(GoldenFileError, match=r"p\.json: field 'calls'"):
        read_profile(path)
    path.write_text("{not json")
    with pytest.raises(GoldenFileError, match="cannot be read"):
        read_profile(path)


def test_the_book_counts_callers_between_targets(make_module) -> None:
    module = make_module(
        """
        def inner(x):
            return x + 1

        def outer(x):
            return inner(x) * 2
        """
    )
    book = ProfileBook()
    from legacy_harness.record.targets import Patch, function_copy

    patches = []
    for name in ("inner", "outer"):
        target = resolve(f"{module.__name__}:{name}")
        patch = Patch(target, book.feeding(target, function_copy(target.function)))
        patch.apply()
        patches.append(patch)
    try:
        assert module.outer(1) == 4
        assert module.inner(5) == 6
    finally:
        for patch in patches:
            patch.undo()
    inner = book.profiles[f"{module.__name__}:inner"]
    assert inner.callers == {f"{module.__name__}:outer": 1, OUTSIDE: 1}
    assert inner.numbers["x"].sample.tolist() == [1.0, 5.0]


def test_recording_keeps_a_profile_of_all_calls_beside_the_store(
    make_module, tmp_path: Path
) -> None:
    module = make_module(
        """
        def price(qty, region):
            return qty * 2
        """
    )
    target = f"{module.__name__}:price"
    store = tmp_path / "golden"

    def record(mode: str, calls: int) -> None:
        recorder = Recorder([target], store, max_cases=5, mode=mode)
        recorder.start()
        try:
            for index in range(calls):
                module.price(index % 50, "NL" if index % 3 else "DE")
        finally:
            recorder.stop()

    record("new", 300)
    path = profile_path(store, target)
    assert path == store / ".legacy-harness" / "profiles" / module.__name__ / "price.json"
    profile = read_profile(path)
    assert profile.calls == 300  # every call, though only 5 cases were kept
    assert len(list((store / module.__name__ / "price").glob("case-*.json"))) == 5
    assert profile.categories["region"].counts == {"'DE'": 100, "'NL'": 200}
    before = path.read_bytes()
    record("new", 300)  # a second recording adds to the profile
    assert read_profile(path).calls == 600
    record("all", 300)  # --mode all starts it again: the same calls give the same bytes
    assert path.read_bytes() == before
    assert list(load_profiles(store)) == [target]


def test_generated_cases_leave_no_profile(make_module, tmp_path: Path) -> None:
    module = make_module("def f(x):\n    return x\n")
    recorder = Recorder([f"{module.__name__}:f"], tmp_path, origin="generated")
    recorder.start()
    try:
        module.f(1)
    finally:
        recorder.stop()
    assert not (tmp_path / ".legacy-harness").exists()


def test_after_the_first_calls_one_in_n_is_read(make_module) -> None:
    from legacy_harness.record.profile import EVERY_CALL, THEN_ONE_IN, ProfileBook

    module = make_module("def f(x):\n    return x\n")
    book = ProfileBook()
    target = resolve(f"{module.__name__}:f")
    fed = book.feeding(target, module.f)
    total = EVERY_CALL + 10 * THEN_ONE_IN  # the first calls, then ten sampled
    for i in range(total):
        assert fed(float(i)) == float(i)
    profile = book.profiles[str(target.spec)]
    assert profile.calls == EVERY_CALL + 10  # every early call, then a systematic sample
    assert profile.numbers["x"].count == profile.calls


@pytest.mark.parametrize(
    "values",
    [
        [3, 1.5, -2.25, 7, 1e-9, 123456789.123, 2**70, 0.0, 1.0 / 3],
        [0.0, -0.0, 0.0, 5.0, -0.0],  # signed zeros: numpy's own sort decides their order
        [],
    ],
)
def test_a_short_run_gives_the_same_profile_without_numpy(values: list[float]) -> None:
    """Below the reservoir's capacity the sample is every value, sorted in Python: the
    same tree (so the same bytes) as numpy's path, which a recording that saw more
    values takes."""
    short, forced = Numbers(capacity=50, seed=3), Numbers(capacity=50, seed=3)
    for value in values:
        short.add(value)
        forced.add(value)
    forced.flush()  # the values reach the reservoir: numpy sorts them
    assert forced._plain_sample() is None or not values
    assert short.to_tree() == forced.to_tree()
    assert json.dumps(short.to_tree()) == json.dumps(forced.to_tree())
    assert short.count == len(values)  # to_tree leaves the pending values where they were
