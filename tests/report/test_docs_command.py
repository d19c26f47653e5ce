"""legacy-harness docs on the bundled examples, as a user runs it; the HTML in a real browser."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from cli_runner import run_cli
from paths import REPO

from legacy_harness.check.docs import read_mutation_scores, write_mutation_score

PRICING = ["billing:compute_invoice", "shop:Cart.checkout"]
ML = [
    "features:build_features",
    "features:add_noise_features",
    "model:SGDClassifier.fit",
    "model:kmeans",
    "scoring:score_batch",
]
CHROMIUM = "/usr/bin/chromium"


def _record(tmp: Path, example: str, targets: list[str], *program: str, runs: int = 1) -> Path:
    root = tmp / example
    shutil.copytree(
        REPO / "examples" / example, root, ignore=shutil.ignore_patterns("tests", "__pycache__")
    )
    flags = [word for target in targets for word in ("--target", target)]
    done = run_cli(root, "record", *flags, "--runs", str(runs), "--", *program)
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture(scope="module")
def pricing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _record(
        tmp_path_factory.mktemp("docs"), "legacy_pricing", PRICING, "run_month_end.py", "2024-03"
    )


@pytest.fixture(scope="module")
def ml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _record(tmp_path_factory.mktemp("docs"), "legacy_ml", ML, "train_and_score.py", runs=10)


def test_pricing_pages_document_every_target_and_are_byte_stable(pricing: Path) -> None:
    done = run_cli(pricing, "docs", "--out", "behaviour")
    assert done.returncode == 0, done.stderr
    assert "wrote 3 pages (2 targets and an index)" in done.stdout
    folder = pricing / "behaviour"
    assert sorted(p.name for p in folder.iterdir()) == [
        "billing-compute_invoice.md", "index.md", "shop-Cart.checkout.md",
    ]  # fmt: skip
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    invoice = first["billing-compute_invoice.md"].decode()
    assert "compute_invoice(customer: dict[str, bool | str], lines: list[dict[" in invoice
    assert "| `customer['region']` | `str` | 8 distinct: 'BE', 'CH'" in invoice
    assert "### `builtins.ValueError` (2 cases)" in invoice
    assert (
        "`unknown region: XX`" in invoice
        and "'region': 'XX'" not in invoice.split("## Exceptions")[0][:0]
    )
    assert "```mermaid" in invoice and '["(program)"]' in invoice
    assert "replaying the masters covers 97.2%" in invoice
    cart = first["shop-Cart.checkout.md"].decode()
    assert "checkout(self, coupon: str | None) -> float" in cart
    assert "| `self.items[*].qty` |" in cart and "RuntimeError" in cart
    # the examples take every branch the masters take: no branch is left to a non-example
    again = run_cli(pricing, "docs", "--out", "behaviour")
    assert again.returncode == 0
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == first


def test_check_docs_fails_on_stale_pages_and_passes_on_fresh_ones(
    pricing: Path, tmp_path: Path
) -> None:
    project = tmp_path / "p"
    shutil.copytree(pricing, project, ignore=shutil.ignore_patterns("__pycache__", "behaviour"))
    assert run_cli(project, "docs", "--out", "pages").returncode == 0
    fresh = run_cli(project, "check", "--allow-unreviewed", "--docs", "pages")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    # a score left by mutate shows on the page, so the committed one is stale now; it was
    # measured on other code than today's (another source hash), and the page says so
    write_mutation_score(project / "tests" / "golden", "billing:compute_invoice", 41, 45, "0" * 16)
    assert (
        read_mutation_scores(project / "tests" / "golden")["billing:compute_invoice"]["killed"]
        == 41
    )
    (project / "pages" / "notes.md").write_text("kept: not a generated page\n")
    stale = run_cli(
        project, "check", "--allow-unreviewed", "--docs", "pages", "--junit-xml", "junit.xml"
    )
    assert stale.returncode == 3, stale.stdout + stale.stderr
    assert "POLICY docs: 2 behaviour page(s) in pages are stale" in stale.stdout  # and the index
    assert "billing-compute_invoice.md" in stale.stdout and "notes.md" not in stale.stdout
    assert 'name="docs"' in (project / "junit.xml").read_text()
    assert run_cli(project, "docs", "--out", "pages").returncode == 0
    page = (project / "pages" / "billing-compute_invoice.md").read_text()
    assert (
        "mutation score 91.1%: 41 of 45 mutants killed (measured on an earlier version of the code)"
        in page
    )
    assert run_cli(project, "check", "--allow-unreviewed", "--docs", "pages").returncode == 0
    assert (project / "pages" / "notes.md").is_file()


def test_ml_pages_show_arrays_and_stochastic_statistics(ml: Path) -> None:
    done = run_cli(ml, "docs", "--out", "behaviour")
    assert done.returncode == 0, done.stderr
    folder = ml / "behaviour"
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(["index.md", *(target.replace(":", "-", 1) + ".md" for target in ML)])
    kmeans = (folder / "model-kmeans.md").read_text()
    assert (
        "kmeans(X: ndarray[float64], k: int, iters: int) -> tuple[ndarray[float64], ndarray[int64]]"
        in kmeans
    )
    assert "| `X` | `ndarray[float64]` | shape (1500, 5) |" in kmeans
    assert "## Stochastic results" in kmeans and "| `outcome[0]#mean` | 10 |" in kmeans
    fit = (folder / "model-SGDClassifier.fit.md").read_text()
    assert "| `self.weights` |" in fit and "method in `model.py:" in fit


@pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="Debian's chromium is not installed here (apt-get install chromium); CI installs it"
    " (.ci/run) and there this test always runs",
)
@pytest.mark.parametrize("example", ["pricing", "ml"])
def test_html_pages_render_in_a_headless_browser_without_errors(
    example: str, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import sync_playwright

    project: Path = request.getfixturevalue(example)
    done = run_cli(project, "docs", "--format", "html", "--out", "site")
    assert done.returncode == 0, done.stderr
    pages = sorted((project / "site").glob("*.html"))
    targets = PRICING if example == "pricing" else ML
    assert len(pages) == len(targets) + 1
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.on(
                "console",
                lambda m: problems.append(m.text) if m.type in ("error", "warning") else None,
            )
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("requestfailed", lambda r: problems.append(f"failed to load {r.url}"))
            page.goto((project / "site" / "index.html").as_uri())
            assert page.locator("table.targets tbody tr").count() == len(targets)
            for target in targets:
                page.goto((project / "site" / f"{target.replace(':', '-', 1)}.html").as_uri())
                assert page.locator("h1").inner_text() == target
                assert page.locator("table.examples tbody tr").count() >= 1
                assert page.locator("table.inputs").is_visible()
                assert page.locator("table.examples").bounding_box()["height"] > 20  # type: ignore[index]
            page.goto((project / "site" / "index.html").as_uri())
            page.locator("table.targets a").first.click()
            assert page.locator("h1").inner_text() == sorted(targets)[0]
        finally:
            browser.close()
    assert problems == []


def test_pages_read_the_scores_mutate_saves(tmp_path: Path) -> None:
    folder = tmp_path / ".legacy-harness"
    folder.mkdir()
    entry = {"target": "m:f", "source_hash": "0" * 16, "killed": 45, "survived": 88,
             "equivalent": 2, "mutants": 135, "score": 33.83}  # fmt: skip
    (folder / "mutation.json").write_text(json.dumps({"format": 1, "targets": {"m:f": entry}}))
    score = read_mutation_scores(tmp_path)["m:f"]
    assert (score["killed"], score["total"]) == (45, 133)  # equivalent mutants not counted
