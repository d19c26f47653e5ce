"""Tests of scrubbers: built-ins, regex vs callable, paths, both sides."""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid

import pytest

from legacy_harness.compare import Policy, compare, compare_observed
from legacy_harness.compare.scrub import (
    DATES,
    HEX_ADDRESSES,
    TEMP_PATHS,
    TIMESTAMPS,
    UUIDS,
    Scrubber,
    builtin,
    scrub,
    scrub_text,
)
from legacy_harness.errors import ConfigError


@pytest.mark.parametrize(
    "text,expect",
    [
        ("at 2024-03-01", "at <date>"),
        ("at 2024-03-01T12:00:00+00:00 ok", "at <date> ok"),
        ("2024-03-01 12:00:00,123 INFO", "<date> INFO"),
        ("2024-03-01T12:00:00.123456Z", "<date>"),
        ("on 2024/03/01 and 01/03/2024", "on <date> and <date>"),
        ("version 1.2.3", "version 1.2.3"),
    ],
)
def test_dates(text: str, expect: str) -> None:
    assert DATES.scrub_text(text) == expect


def test_uuid_hex_temp() -> None:
    u = str(uuid.uuid4())
    assert UUIDS.scrub_text(f"id={u}") == "id=<uuid>"
    assert UUIDS.scrub_text(f"id={u.upper()}") == "id=<uuid>"
    assert (
        HEX_ADDRESSES.scrub_text("<Foo object at 0x7f3a1c2b9d40>") == "<Foo object at 0x<address>>"
    )
    assert HEX_ADDRESSES.scrub_text("flags 0x1f") == "flags 0x1f"
    assert TEMP_PATHS.scrub_text("wrote /tmp/abc123/out.csv now") == "wrote <tmp> now"
    tmp = tempfile.gettempdir()
    assert TEMP_PATHS.scrub_text(f"'{tmp}/x/y.txt'") == "'<tmp>'"
    assert TEMP_PATHS.scrub_text("/home/tmpfile") == "/home/tmpfile"


def test_timestamps_callable() -> None:
    assert TIMESTAMPS.apply(dt.datetime(2024, 1, 1)) == "<datetime>"
    assert TIMESTAMPS.apply(dt.date(2024, 1, 1)) == "<datetime>"
    assert TIMESTAMPS.apply(5) == 5
    p = Policy(scrubbers=(TIMESTAMPS,))
    assert compare({"t": dt.datetime(2024, 1, 1)}, {"t": dt.datetime(2025, 1, 1)}, p) == []


def test_regex_only_strings() -> None:
    s = Scrubber(pattern=r"\d", replacement="#")
    assert s.apply("a1") == "a#" and s.apply(1) == 1 and s.apply(b"1") == b"1"


def test_constructor_checks() -> None:
    with pytest.raises(ValueError):
        Scrubber()
    with pytest.raises(ValueError):
        Scrubber(pattern="x", func=lambda v: v)
    with pytest.raises(ConfigError):
        Scrubber(pattern="(")


def test_builtin_lookup() -> None:
    assert builtin("uuids") is UUIDS
    assert builtin("dates", "outcome.created").path == "outcome.created"
    with pytest.raises(ConfigError, match="unknown built-in"):
        builtin("nope")


def test_both_sides_in_compare() -> None:
    e = {"msg": "run at 2024-01-01 by 123e4567-e89b-12d3-a456-426614174000"}
    a = {"msg": "run at 2025-06-30 by 00000000-0000-0000-0000-000000000000"}
    assert compare(e, a) != []
    assert compare(e, a, Policy(scrubbers=(DATES, UUIDS))) == []


def test_path_restriction() -> None:
    p = Policy(scrubbers=(DATES.at("outcome.created"),))
    e = {"outcome": {"created": "2024-01-01", "due": "2024-01-01"}}
    a = {"outcome": {"created": "2025-01-01", "due": "2025-01-01"}}
    diffs = compare_observed(e, a, p)
    assert [d.path for d in diffs] == ["outcome.due"]


def test_callable_at_path_sees_any_value() -> None:
    s = Scrubber(func=lambda v: None, path="outcome.rng")
    assert (
        compare_observed(
            {"outcome": {"rng": [1, 2]}}, {"outcome": {"rng": [3]}}, Policy(scrubbers=(s,))
        )
        == []
    )


def test_stdout_scrubbed() -> None:
    p = Policy(scrubbers=(HEX_ADDRESSES,))
    e = {"stdout": "<A at 0x7f0000001111>\n"}
    a = {"stdout": "<A at 0x7f0000002222>\n"}
    assert compare_observed(e, a, p) == []


def test_scrub_helpers() -> None:
    assert scrub_text("2024-01-01 0x12345678", [DATES, HEX_ADDRESSES]) == "<date> 0x<address>"
    data = {"a": ["2024-01-01", {"b": "2024-01-02"}], "c": ("2024-01-03",)}
    assert scrub(data, [DATES]) == {"a": ["<date>", {"b": "<date>"}], "c": ("<date>",)}
    assert scrub(data, [DATES.at("a[*]")]) == {
        "a": ["<date>", {"b": "2024-01-02"}],
        "c": ("2024-01-03",),
    }
