"""The http boundary against a real HTTP server on 127.0.0.1, started by the test.

Every test runs both ways HTTP is taped: the standard library's own connection classes
(what a job that only speaks ``http.client``/``urllib`` gets, without loading vcrpy) and
vcrpy (loaded once a client only it patches is imported).
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest
from boundary_helpers import rewrite, verify

from legacy_harness.record.boundaries import web
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
        if self.path.startswith("/zipped"):
            body = gzip.compress(json.dumps({"price": 1.25}).encode(), mtime=0)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self._send(200, {"price": 3.5 if self.path.endswith("/apple") else 9.25})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        Shop.orders.append(json.loads(self.rfile.read(length)))
        self._send(201, {"order": len(Shop.orders)})


@pytest.fixture(params=["http.client", "vcrpy"], autouse=True)
def http_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which way the boundary tapes HTTP in this test."""
    monkeypatch.setattr(web, "_vcr_wanted", lambda: request.param == "vcrpy")
    return str(request.param)


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


ZIPPED = """
import urllib.request

def fetch(base):
    with urllib.request.urlopen(f"{base}/zipped", timeout=5) as response:
        return {"encoding": response.headers.get("Content-Encoding"), "size": len(response.read())}
"""


def test_both_ways_tape_the_same_entries(
    project: Path,
    make_module: Callable[..., ModuleType],
    server: tuple[ThreadingHTTPServer, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mod = make_module(CLIENT + ZIPPED)
    tapes = []
    for way in ("http.client", "vcrpy"):
        monkeypatch.setattr(web, "_vcr_wanted", lambda way=way: way == "vcrpy")
        Shop.orders.clear()
        with recording(
            [f"{mod.__name__}:quote", f"{mod.__name__}:fetch"],
            store=project / way,
            boundaries=["http"],
        ):
            mod.quote(server[1], "apple")
            # the caller reads the response as sent (compressed), the tape holds it readable
            assert mod.fetch(server[1]) == {
                "encoding": "gzip",
                "size": len(gzip.compress(b'{"price": 1.25}')),
            }
        cases = sorted(GoldenStore(project / way).iter_cases(), key=lambda found: found.case.target)
        tapes.append([found.case.tape for found in cases])
    assert tapes[0] == tapes[1]
    [zipped] = [tape for tape in tapes[0] if tape and tape[0]["call"]["url"].endswith("/zipped")]
    assert zipped[0]["result"]["body"] == '{"price": 1.25}'
    assert zipped[0]["result"]["headers"] == {"Content-Type": "application/json"}


RECORD_IN_A_FRESH_PROCESS = """
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Shop(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._send(200, {{"price": 3.5}})

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self._send(201, {{"order": 1}})

httpd = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
sys.path.insert(0, {folder!r})
import shop_client
from legacy_harness.record.recorder import recording
with recording(["shop_client:quote"], store={store!r}, boundaries=["http"]):
    shop_client.quote(f"http://127.0.0.1:{{httpd.server_address[1]}}", "apple")
httpd.shutdown()
print("vcr" in sys.modules)
"""


@pytest.mark.parametrize("http_path", ["http.client"])  # a fresh process chooses itself
def test_a_urllib_job_records_without_loading_vcrpy(project: Path, http_path: str) -> None:
    (project / "shop_client.py").write_text(textwrap.dedent(CLIENT))
    script = RECORD_IN_A_FRESH_PROCESS.format(folder=str(project), store=str(project / "golden"))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=project
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"  # vcrpy was never imported
    [stored] = list(GoldenStore(project / "golden").iter_cases())
    assert [entry["call"]["method"] for entry in stored.case.tape or []] == ["GET", "POST"]
    assert [r.status for r in verify(project)] == [PASSED]


def test_without_vcrpy_installed_the_boundary_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from legacy_harness.errors import HarnessError
    from legacy_harness.record.boundaries import BoundarySet

    monkeypatch.setitem(sys.modules, "vcr", None)  # what importing finds when it is missing
    with pytest.raises(HarnessError, match=r"pip install legacy-harness\[http\]"):
        BoundarySet(["http"]).install()


LOW_LEVEL = """
import http.client
import json

def stock(host, port):
    connection = http.client.HTTPConnection(host, port, timeout=5)
    try:
        connection.request("GET", "/prices/apple")  # one connection, kept alive
        first = json.loads(connection.getresponse().read())["price"]
        connection.request("GET", "/prices/pear")
        second = json.loads(connection.getresponse().read())["price"]
        body = json.dumps({"sku": "apple", "price": first}).encode()
        connection.putrequest("POST", "/orders")  # the step-by-step way
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        connection.send(body)
        response = connection.getresponse()
        return {"prices": [first, second], "status": response.status, "order": json.loads(response.read())["order"]}
    finally:
        connection.close()
"""


def test_http_client_kept_alive_and_step_by_step_replays_with_the_service_stopped(
    project: Path, make_module: Callable[..., ModuleType], server: tuple[ThreadingHTTPServer, str]
) -> None:
    mod = make_module(LOW_LEVEL)
    httpd, _ = server
    host, port = httpd.server_address[:2]
    with recording([f"{mod.__name__}:stock"], store=project / "golden", boundaries=["http"]):
        done = mod.stock(host, port)
    assert done == {"prices": [3.5, 9.25], "status": 201, "order": len(Shop.orders)}
    httpd.shutdown()
    httpd.server_close()
    [stored] = list(GoldenStore(project / "golden").iter_cases())
    tape = stored.case.tape or []
    assert [(e["call"]["method"], e["call"]["url"]) for e in tape] == [
        ("GET", f"http://{host}:{port}/prices/apple"),
        ("GET", f"http://{host}:{port}/prices/pear"),
        ("POST", f"http://{host}:{port}/orders"),
    ]
    assert json.loads(tape[2]["call"]["body"]) == {"sku": "apple", "price": 3.5}
    assert [r.status for r in verify(project)] == [PASSED]
    rewrite(mod, '"price": first}', '"price": first * 2}')
    [result] = verify(project)
    assert result.status == CHANGED
    assert [d.path for d in result.differences] == ["writes[0].body"]


def test_the_url_names_the_port_only_when_it_is_not_the_default() -> None:
    uri = web.TapingHTTPSConnection("example.com")._lh_uri
    assert uri("/a?b=1") == "https://example.com/a?b=1"
    assert (
        web.TapingHTTPSConnection("example.com", 8443)._lh_uri("/a") == "https://example.com:8443/a"
    )
    assert web.TapingHTTPConnection("example.com", 80)._lh_uri("/") == "http://example.com/"
    assert web.TapingHTTPConnection("proxy", 3128)._lh_uri("http://x/y") == "http://x/y"


URLLIB3_CLIENT = """
import json

def price(base, sku):
    import urllib3  # the program imported it by now

    response = urllib3.PoolManager().request("GET", f"{base}/prices/{sku}")
    return json.loads(response.data)["price"]
"""

RECORD_URLLIB3_IN_A_FRESH_PROCESS = """
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Shop(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = json.dumps({{"price": 3.5}}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

httpd = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
sys.path.insert(0, {folder!r})
from legacy_harness.record.recorder import recording
import pool_client
with recording(["pool_client:price"], store={store!r}, boundaries=["http"]):
    before = "vcr" in sys.modules
    import urllib3  # the program imports a client after the boundary is installed
    assert pool_client.price(f"http://127.0.0.1:{{httpd.server_address[1]}}", "apple") == 3.5
httpd.shutdown()
print(before, "vcr" in sys.modules)
"""


@pytest.mark.parametrize("http_path", ["http.client"])  # a fresh process chooses itself
def test_a_client_imported_after_install_is_taped_through_vcrpy(
    project: Path, http_path: str
) -> None:
    pytest.importorskip("urllib3")
    (project / "pool_client.py").write_text(textwrap.dedent(URLLIB3_CLIENT))
    script = RECORD_URLLIB3_IN_A_FRESH_PROCESS.format(
        folder=str(project), store=str(project / "golden")
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=project
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]  # vcrpy loaded once urllib3 was imported
    [stored] = list(GoldenStore(project / "golden").iter_cases())
    [entry] = stored.case.tape or []
    assert entry["call"]["method"] == "GET" and entry["call"]["url"].endswith("/prices/apple")
    assert json.loads(entry["result"]["body"]) == {"price": 3.5}
