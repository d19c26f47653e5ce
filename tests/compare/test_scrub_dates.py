"""The ``dates`` scrubber knows every date format approvaltests' DateScrubber knows,
and leaves numbers that are not dates alone."""

from __future__ import annotations

import pytest
from approvaltests.scrubbers.date_scrubber import DateScrubber

from legacy_harness.compare.scrub import DATES

APPROVALTESTS_EXAMPLES = [
    example for _, examples in DateScrubber.get_supported_formats() for example in examples
]


@pytest.mark.parametrize("example", APPROVALTESTS_EXAMPLES)
def test_every_approvaltests_format_becomes_one_placeholder(example: str) -> None:
    assert DATES.scrub_text(example) == "<date>"
    assert DATES.scrub_text(f"saved at {example}, done") == "saved at <date>, done"


def test_the_list_is_approvaltests_own() -> None:
    assert len(APPROVALTESTS_EXAMPLES) >= 20  # the formats are read from the library


@pytest.mark.parametrize(
    "text",
    ["version 1.2.3", "ratio 3:4", "order 12345678901", "ip 10.0.0.1", "Mayday 12", "pi 3.14159"],
)
def test_numbers_that_are_not_dates_stay(text: str) -> None:
    assert DATES.scrub_text(text) == text
