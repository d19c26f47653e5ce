"""The http boundary against a real HTTP server on 127.0.0.1, started by the test."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest
from boundary_helpers import rewrite, verify

from legacy_harness.record.recorder import recording
from legacy_harness.store.disk import GoldenStore
from legacy_harness.verify import CHANGED, ERROR, PASSED

pytest.importorskip("vcr")

CLIENT = """
import json
import urllib.request

def quote(base, sku):
    with urllib.request.urlopen(f"{base}/prices/{sku}", timeout=5) as response:
        price = json.loads(response.read())["price"]
    order = json.dumps({"sku": sku, "price": price}).encode()
    request = urllib.request.Request(
        f"{base}/orders", data=order, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return {"price": price, "order": json.loads(response.read())["order"]}
"""


class Shop(BaseHTTPRequestHandler):
    orders: list[dict[str, object]] = []
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._send(200, {"price": 3.5 if self.path.endswith("/apple") else 9.25})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        Shop.orders.append(json.loads(self.rfile.read(length)))
        self._send(201, {"order": len(Shop.orders)})


@pytest.fixture
def server() -> Iterator[tuple[ThreadingHTTPServer, str]]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.legacy_harness]\nstore = "golden"\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def record_quotes(mod: ModuleType, root: Path, server: tuple[ThreadingHTTPServer, str]) -> None:
    httpd, base = server
    with recording([f"{mod.__name__}:quote"], store=root / "golden", boundaries=["http"]):
        assert mod.quote(base, "apple") == {"price": 3.5, "order": len(Shop.orders)}
    httpd.shutdown()  # the service is gone before anything replays
    httpd.server_close()


def test_replay_with_the_service_stopped(
    project: Path, make_module: Callable[..., ModuleType], server: tuple[ThreadingHTTPServer, str]
) -> None:
    mod = make_module(CLIENT)
    record_quotes(mod, project, server)
    assert [r.status for r in verify(project)] == [PASSED]
    [stored] = list(GoldenStore(project / "golden").iter_cases())
    get, post = stored.case.tape or []
    assert get["call"] == {"method": "GET", "url": f"{server[1]}/prices/apple"}
    assert get["kind"] == "read" and get["result"]["status"] == 200
    assert json.loads(get["result"]["body"]) == {"price": 3.5}
    assert get["result"]["headers"] == {"Content-Type": "application/json"}  # no Date, Server
    assert post["kind"] == "write" and post["call"]["method"] == "POST"
    assert json.loads(post["call"]["body"]) == {"sku": "apple", "price": 3.5}
    assert post["call"]["headers"] == {"content-type": "application/json"}


def test_changed_url_fails_naming_it_and_the_nearest(
    project: Path, make_module: Callable[..., ModuleType], server: tuple[ThreadingHTTPServer, str]
) -> None:
    mod = make_module(CLIENT)
    record_quotes(mod, project, server)
    rewrite(mod, 'f"{base}/prices/{sku}"', 'f"{base}/v2/prices/{sku}"')
    [result] = verify(project)
    assert result.status == CHANGED
    explanation = result.explanation or ""
    assert f"url={server[1]}/v2/prices/apple" in explanation
    assert f"nearest recorded: http read method=GET, url={server[1]}/prices/apple" in explanation
    assert "differs in: URL" in explanation


def test_changed_post_body_fails_with_a_diff_of_the_body(
    project: Path, make_module: Callable[..., ModuleType], server: tuple[ThreadingHTTPServer, str]
) -> None:
    mod = make_module(CLIENT)
    record_quotes(mod, project, server)
    rewrite(mod, '{"sku": sku, "price": price}', '{"sku": sku, "price": price * 2}')
    [result] = verify(project)
    assert result.status == CHANGED, result.error
    [difference] = result.differences
    assert difference.path == "writes[0].body"
    assert '"price": 3.5' in difference.expected and '"price": 7.0' in difference.actual


def test_a_request_without_the_boundary_is_named_and_blocked(
    project: Path, make_module: Callable[..., ModuleType], server: tuple[ThreadingHTTPServer, str]
) -> None:
    mod = make_module(CLIENT)
    httpd, base = server
    with recording([f"{mod.__name__}:quote"], store=project / "golden", boundaries=[]) as rec:
        mod.quote(base, "pear")
    summary = rec.summary().render()
    port = httpd.server_address[1]
    assert f"connected to 127.0.0.1:{port} over HTTP" in summary
    assert 'add boundaries = ["http"]' in summary
    [result] = verify(project)
    assert result.status == ERROR
    assert f"connected to 127.0.0.1:{port}" in (result.error or "")
