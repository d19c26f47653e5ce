"""The ``http`` boundary: requests and responses on the tape.

While recording, a request goes out and its request and response are taped; on replay
it is answered from the case's tape (nothing reaches the network), and today's POST,
PUT, PATCH and DELETE requests are kept for comparison with the recorded ones. A
request the tape does not hold stops the call with the nearest recorded request.

Two ways in, one tape:

- ``http.client`` and ``urllib`` (the standard library's clients) are taped by a thin
  subclass of their connection classes (:func:`taping_class`), patched in the way vcrpy
  patches them. Importing vcrpy loads every HTTP client it knows (requests, urllib3,
  tornado, httpx, ...) and wraps each request in its cassette machinery, which cost a
  recording more than the traffic itself; a job that speaks only ``http.client`` never
  loads it.
- every other client is taped through vcrpy (``pip install legacy-harness[http]``),
  loaded when one of the clients it patches is imported (at install, or by the time a
  call starts). From then on vcrpy tapes ``http.client`` too.

The tape holds what a reviewer needs: method, URL, the content type, the body as text,
and the response's status, headers that matter, and body (decompressed). Both ways
write the same entries for the same traffic.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import importlib.util
import io
import re
import sys
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from legacy_harness.errors import ForbiddenIO
from legacy_harness.record.boundaries.base import (
    Boundary,
    Undo,
    installed,
    patch_attribute,
    require,
)
from legacy_harness.record.boundaries.context import Channel, current, passthrough
from legacy_harness.record.boundaries.tape import Interaction, InteractionKind

__all__ = ["HttpBoundary"]

NAME = "http"
READ_METHODS = ("GET", "HEAD", "OPTIONS")
#: Response headers left off the tape: they change every call or describe the transport.
VOLATILE_HEADERS = {
    "date", "server", "connection", "keep-alive", "transfer-encoding", "set-cookie",
    "age", "via", "expires", "x-request-id", "content-length",
}  # fmt: skip
#: Request headers kept on the tape (credentials never are).
REQUEST_HEADERS = ("content-type",)
ANSWER = "legacy_harness_answer"


@functools.lru_cache(maxsize=1)
def _absent() -> tuple[str, ...]:
    """The optional HTTP clients vcrpy looks for (every module its patcher imports) that
    cannot be imported here; found once, by reading the patcher's imports."""
    import ast

    from vcr import patch

    try:
        tree = ast.parse(Path(patch.__file__ or "").read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return ()
    names = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    names |= {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and not node.level
    }
    absent: list[str] = []
    for name in sorted(names):
        if name in sys.modules:
            continue
        top = name.split(".")[0]
        try:
            if top not in sys.modules and importlib.util.find_spec(top) is None:
                absent += [top, name] if top != name else [top]
                continue
            importlib.import_module(name)  # installed, but what it needs may not be (pycurl)
        except ImportError:
            absent.append(name)
    return tuple(dict.fromkeys(absent))


def _mark_absent() -> Callable[[], None]:
    """vcrpy tries to import each optional client on every request; a client that is
    not installed is marked absent in ``sys.modules`` while the boundary is installed,
    so that costs a dictionary look-up instead of a search of ``sys.path``."""
    marked = [name for name in _absent() if name not in sys.modules]
    for name in marked:
        sys.modules[name] = None  # type: ignore[assignment]

    def undo() -> None:
        for name in marked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]

    return undo


def _message(header_list: Mapping[str, Sequence[str]]) -> http.client.HTTPMessage:
    """The headers of a response as ``http.client`` gives them, built directly."""
    message = http.client.HTTPMessage()
    for name, values in header_list.items():
        for value in values:
            message[name] = value
    return message


def _speed_up_vcr() -> Callable[[], None]:
    """Take the two costs vcrpy adds to every request out of its way; returns the undo.

    - vcrpy puts the real connection classes back around every request it lets through
      (recording: all of them), building and entering about ten ``mock.patch`` objects
      each time, four times per request. The classes to put back are fixed once vcrpy
      is loaded, so they are listed once and swapped with ``setattr``; as vcrpy's own
      does, a reset leaves alone an attribute a newer patch replaced meanwhile.
    - Its response stub turns the header dict into text and parses that with the
      e-mail parser, twice per request; the message is built from the dict instead.

    Together they were most of what taping HTTP added to a recording.
    """
    from vcr import patch, stubs

    originals = [(p.getter(), p.attribute, p.new) for p in patch.reset_patchers()]
    previous = patch.force_reset

    @contextlib.contextmanager
    def force_reset() -> Iterator[None]:
        swapped = []
        for owner, attribute, real in originals:
            swapped.append((owner, attribute, getattr(owner, attribute), real))
            setattr(owner, attribute, real)
        try:
            yield
        finally:
            for owner, attribute, before, real in reversed(swapped):
                if getattr(owner, attribute, real) is real:
                    setattr(owner, attribute, before)

    patch.force_reset = force_reset  # vcrpy's stubs import it by name at each request
    parse_headers = stubs.parse_headers
    stubs.parse_headers = _message  # looked up as a global at each response

    def undo() -> None:
        patch.force_reset = previous
        stubs.parse_headers = parse_headers

    return undo


def _text(data: Any, channel: Channel) -> Any:
    if data is None or data == b"" or data == "":
        return None
    if isinstance(data, str):
        return data
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        return channel.encode(bytes(data))


def _bytes(tree: Any, channel: Channel) -> bytes:
    if tree is None:
        return b""
    if isinstance(tree, str):
        return tree.encode("utf-8")
    value = channel.decode(tree)
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def _call(request: Any, channel: Channel) -> tuple[InteractionKind, dict[str, Any]]:
    body = getattr(request, "body_bytes", request.body)
    return _call_tree(request.method, request.uri, dict(request.headers), body, channel)


def _call_tree(
    method: Any, uri: str, headers: Mapping[str, Any], body: Any, channel: Channel
) -> tuple[InteractionKind, dict[str, Any]]:
    """What identifies a request on the tape, and whether it reads or writes."""
    method = str(method).upper()
    call: dict[str, Any] = {"method": method, "url": uri}
    kept = {
        name.lower(): str(value)
        for name, value in headers.items()
        if name.lower() in REQUEST_HEADERS
    }
    if kept:
        call["headers"] = kept
    text = _text(body, channel)
    if text is not None:
        call["body"] = text
    kind = InteractionKind.READ if method in READ_METHODS else InteractionKind.WRITE
    return kind, call


def _result(response: dict[str, Any], channel: Channel, decode: Callable[[Any], Any]) -> Any:
    if any(name.lower() == "content-encoding" for name in response.get("headers", {})):
        response = decode(response)  # the tape holds the body a reader can read
    headers: dict[str, Any] = {}
    for name, values in sorted(response.get("headers", {}).items()):
        if name.lower() in VOLATILE_HEADERS:
            continue
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        headers[name] = values[0] if len(values) == 1 else values
    result: dict[str, Any] = {
        "status": response["status"]["code"],
        "reason": response["status"].get("message", ""),
        "headers": headers,
    }
    body = _text(response.get("body", {}).get("string"), channel)
    if body is not None:
        result["body"] = body
    return result


def _recorded(channel: Channel, asked: Interaction) -> Interaction:
    """The recorded exchange that answers ``asked`` on replay (a write is kept for
    comparison); raises ForbiddenIO naming the nearest recorded request if none does."""
    if asked.kind is InteractionKind.READ:
        found = channel.take(asked)
    else:
        found = channel.write(asked)
    if found is None or "status" not in found.result:
        raise ForbiddenIO(channel.miss(asked).render())
    return found


def _response(result: dict[str, Any], channel: Channel) -> dict[str, Any]:
    body = _bytes(result.get("body"), channel)
    headers = {
        name: list(value) if isinstance(value, list) else [str(value)]
        for name, value in result.get("headers", {}).items()
    }
    headers["Content-Length"] = [str(len(body))]
    return {
        "status": {"code": int(result.get("status", 200)), "message": result.get("reason", "")},
        "headers": headers,
        "body": {"string": body},
    }


class _Persister:
    """The cassette starts empty and is never saved: the tape is the cassette."""

    @classmethod
    def load_cassette(cls, cassette_path: Any, serializer: Any) -> Any:
        from vcr.persisters.filesystem import CassetteNotFoundError

        raise CassetteNotFoundError()

    @staticmethod
    def save_cassette(cassette_path: Any, cassette_dict: Any, serializer: Any) -> None:
        pass


def _cassette_class(vcr_cassette: Any, decode_response: Callable[[Any], Any]) -> type:
    base = vcr_cassette.Cassette

    class TapeCassette(base):  # type: ignore[misc, valid-type]
        """A cassette that reads and writes the running call's tape."""

        def can_play_response_for(self, request: Any) -> bool:
            channel = current()
            if channel is None or not channel.replaying:
                return False  # recording, or outside a call: the request goes out
            if getattr(request, ANSWER, None) is not None:
                return True
            kind, call = _call(request, channel)
            setattr(request, ANSWER, _recorded(channel, Interaction(NAME, kind, call)))
            return True

        def play_response(self, request: Any) -> Any:
            channel = current()
            found = getattr(request, ANSWER, None)
            if channel is None or found is None:
                raise ForbiddenIO(f"no recorded response for {request.method} {request.uri}")
            return _response(found.result, channel)

        def append(self, request: Any, response: Any) -> None:
            channel = current()
            if channel is None or channel.replaying:
                return
            kind, call = _call(request, channel)
            result = _result(response, channel, decode_response)
            channel.tape(Interaction(NAME, kind, call, result))

    return TapeCassette


# -- http.client and urllib, without vcrpy -------------------------------------------

#: True while vcrpy tapes HTTP (a client only it patches was imported): the taping
#: connection classes then behave as the standard library's.
_VCR_TAPES = [False]
#: What vcrpy patches if its patcher's source cannot be read.
KNOWN_CLIENTS = frozenset(
    {"requests", "urllib3", "httplib2", "tornado", "aiohttp", "httpx", "botocore", "boto3"}
)
_IMPORT = re.compile(r"^[ \t]*(?:import|from)[ \t]+([A-Za-z_]\w*)", re.MULTILINE)


@functools.lru_cache(maxsize=1)
def _vcr_clients() -> frozenset[str]:
    """The third-party HTTP clients vcrpy patches: the top-level modules its patcher
    imports, read from its source (importing it is what the standard library's path
    avoids)."""
    spec = importlib.util.find_spec("vcr")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    try:
        text = Path(folders[0], "patch.py").read_text(encoding="utf-8")
    except (IndexError, OSError):
        return KNOWN_CLIENTS
    found = set(_IMPORT.findall(text)) - set(sys.stdlib_module_names) - {"vcr"}
    return frozenset(found) | KNOWN_CLIENTS


def _vcr_wanted() -> bool:
    """Whether a client only vcrpy tapes has been imported (vcrpy must then be loaded)."""
    modules = sys.modules
    return any(name in modules for name in _vcr_clients())


def _decompressed(response: dict[str, Any]) -> dict[str, Any]:
    """vcrpy's ``decode_response`` for the standard library's path: the first content
    encoding undone (gzip, deflate, and br when brotli is installed) and its header
    dropped; a body that does not decompress is kept as it came."""
    headers = dict(response.get("headers", {}))
    name = next((key for key in headers if key.lower() == "content-encoding"), None)
    encodings = list(headers[name]) if name is not None else []
    if name is None or not encodings:
        return response
    body = response["body"]["string"]
    if encodings[0] in ("gzip", "deflate"):
        wbits = zlib.MAX_WBITS | 16 if encodings[0] == "gzip" else zlib.MAX_WBITS
        try:
            body = zlib.decompress(body, wbits)
        except zlib.error:
            pass
    elif encodings[0] == "br":
        brotli: Any = None
        for module in ("brotli", "brotlicffi"):
            with contextlib.suppress(ImportError):
                brotli = importlib.import_module(module)
                break
        if brotli is None:
            return response
        with contextlib.suppress(brotli.error):
            body = brotli.decompress(body)
    else:
        return response
    if encodings[1:]:
        headers[name] = encodings[1:]
    else:
        del headers[name]
    headers["content-length"] = [str(len(body))]
    return {**response, "headers": headers, "body": {"string": body}}


def _header_lists(message: Any) -> dict[str, list[str]]:
    """A response's headers as vcrpy serialises them: each name, all its values."""
    values: dict[str, list[str]] = {}
    for key, value in message.items():  # get_all(key) matches names in any case
        values.setdefault(key.lower(), []).append(value)
    return {key: list(values[key.lower()]) for key in dict.fromkeys(message.keys())}


def _body_bytes(body: Any) -> Any:
    """A request body as vcrpy's request holds it: text encoded as UTF-8, a file read
    (its position kept), an iterator joined; the request then goes out with these bytes."""
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        if hasattr(body, "tell"):
            where = body.tell()
            data = body.read()
            body.seek(where)
            return data
        return body.read()
    if body is not None and not isinstance(body, (bytes, bytearray, memoryview, dict)):
        return b"".join(body)
    return body


class _Pending:
    """The request being made on a connection: what the tape identifies it by."""

    __slots__ = ("method", "uri", "headers", "body")

    def __init__(self, method: str, uri: str, headers: dict[str, Any], body: Any) -> None:
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body


class _ReplayedSocket:
    """What a replayed response is parsed from, in place of a socket."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(io.BytesIO(self.raw))  # type: ignore[arg-type]


def _replayed(found: Interaction, channel: Channel, method: str) -> http.client.HTTPResponse:
    """The recorded response as ``http.client`` gives one: parsed from its bytes."""
    data = _response(found.result, channel)
    lines = [f"HTTP/1.1 {data['status']['code']} {data['status']['message']}"]
    for name, values in data["headers"].items():
        lines += [f"{name}: {value}" for value in values]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + data["body"]["string"]
    response = http.client.HTTPResponse(cast(Any, _ReplayedSocket(raw)), method=method)
    response.begin()
    return response


class _Taping(http.client.HTTPConnection):
    """``http.client.HTTPConnection`` taping the requests made during a call.

    Recording, the request goes out for real (inside :func:`passthrough`: the boundary's
    own traffic is no undeclared access) and the response is taped, its body read and
    handed back unread. Replaying, nothing is sent: the response is parsed from the tape.
    Outside a call, and while vcrpy tapes HTTP, every method is the original's.
    """

    _lh_protocol = "http"
    _lh_pending: _Pending | None = None

    def _lh_channel(self) -> Channel | None:
        return None if _VCR_TAPES[0] else current()

    def _lh_uri(self, url: str) -> str:
        """The absolute URL, as vcrpy spells it (the port only when not the default)."""
        if url and not url.startswith("/"):
            return url  # a proxy request
        tunnel = self._tunnel_host  # type: ignore[attr-defined]
        host = tunnel or self.host
        port = self._tunnel_port if tunnel else self.port  # type: ignore[attr-defined]
        default = 443 if self._lh_protocol == "https" else 80
        suffix = "" if port == default else f":{port}"
        return f"{self._lh_protocol}://{host}{suffix}{url}"

    def request(
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: Mapping[str, Any] | None = None,
        *,
        encode_chunked: bool = False,
    ) -> None:
        channel = self._lh_channel()
        if channel is None:
            return super().request(method, url, body, headers or {}, encode_chunked=encode_chunked)
        body = _body_bytes(body)
        kept = {
            name: value[0] if isinstance(value, (tuple, list)) and value else value
            for name, value in (headers or {}).items()
        }
        self._lh_pending = _Pending(method, self._lh_uri(url), kept, body)
        if channel.replaying:
            return None
        with passthrough():
            return super().request(method, url, body, headers or {}, encode_chunked=encode_chunked)

    def putrequest(
        self, method: str, url: str, skip_host: bool = False, skip_accept_encoding: bool = False
    ) -> None:
        channel = self._lh_channel()
        if channel is None:  # outside a call, or inside request(): as the original
            return super().putrequest(method, url, skip_host, skip_accept_encoding)
        self._lh_pending = _Pending(method, self._lh_uri(url), {}, None)
        if channel.replaying:
            return None
        with passthrough():
            return super().putrequest(method, url, skip_host, skip_accept_encoding)

    def putheader(self, header: Any, *values: Any) -> None:
        channel = self._lh_channel()
        pending = self._lh_pending
        if channel is None or pending is None:
            return super().putheader(header, *values)
        pending.headers[str(header)] = values[0] if values else ""
        if channel.replaying:
            return None
        with passthrough():
            return super().putheader(header, *values)

    def endheaders(self, message_body: Any = None, *, encode_chunked: bool = False) -> None:
        channel = self._lh_channel()
        pending = self._lh_pending
        if channel is None or pending is None:
            return super().endheaders(message_body, encode_chunked=encode_chunked)
        if message_body is not None:
            message_body = _body_bytes(message_body)
            pending.body = message_body
        if channel.replaying:
            return None
        with passthrough():
            return super().endheaders(message_body, encode_chunked=encode_chunked)

    def send(self, data: Any) -> None:
        channel = self._lh_channel()
        pending = self._lh_pending
        if channel is None or pending is None:
            return super().send(data)
        data = _body_bytes(data)
        pending.body = pending.body + data if pending.body else data
        if channel.replaying:
            return None
        with passthrough():
            return super().send(data)

    def connect(self) -> None:
        channel = self._lh_channel()
        if channel is not None and channel.replaying:
            return None  # nothing is sent on replay
        return super().connect()

    def getresponse(self) -> http.client.HTTPResponse:
        channel = self._lh_channel()
        pending = self._lh_pending
        if channel is None or pending is None:
            return super().getresponse()
        self._lh_pending = None
        body = pending.body
        if body is not None and not isinstance(body, (bytes, str)):
            body = bytes(body)
        kind, call = _call_tree(pending.method, pending.uri, pending.headers, body, channel)
        if channel.replaying:
            found = _recorded(channel, Interaction(NAME, kind, call))
            return _replayed(found, channel, pending.method)
        with passthrough():
            response = super().getresponse()
            content = response.read()
        data = {
            "status": {"code": response.status, "message": response.reason},
            "headers": _header_lists(response.msg),
            "body": {"string": content},
        }
        channel.tape(Interaction(NAME, kind, call, _result(data, channel, _decompressed)))
        response.fp = io.BufferedReader(io.BytesIO(content))  # type: ignore[arg-type]
        response.length = len(content)
        response.chunked = False
        return response


class TapingHTTPConnection(_Taping):
    """``http.client.HTTPConnection`` while the ``http`` boundary is installed."""


class TapingHTTPSConnection(_Taping, http.client.HTTPSConnection):
    """``http.client.HTTPSConnection`` while the ``http`` boundary is installed."""

    _lh_protocol = "https"


# -- the boundary ---------------------------------------------------------------------


def _set_classes(classes: tuple[type, type]) -> None:
    setattr(http.client, "HTTPConnection", classes[0])  # noqa: B010 - typed as a class
    setattr(http.client, "HTTPSConnection", classes[1])  # noqa: B010


class HttpBoundary(Boundary):
    """``http``: every request made by the call; vcrpy joins in for other clients."""

    name = NAME
    category = NAME

    def __init__(self) -> None:
        self._undos: list[Undo] = []
        self._lazy = False
        self._lock = threading.Lock()

    def load(self) -> None:
        installed("vcr", NAME, "http")

    def patch(self) -> list[Undo]:
        originals = (http.client.HTTPConnection, http.client.HTTPSConnection)
        self._originals = originals
        self._undos = [
            patch_attribute(http.client, "HTTPConnection", TapingHTTPConnection),
            patch_attribute(http.client, "HTTPSConnection", TapingHTTPSConnection),
        ]
        self._lazy = True
        try:
            if _vcr_wanted():
                self._start_vcr()
        except BaseException:
            self._undo()
            raise
        return [self._undo]

    def _undo(self) -> None:
        with self._lock:
            self._lazy = False
            while self._undos:
                self._undos.pop()()

    def prepare(self) -> None:
        """Before each call: load vcrpy once a client only it patches was imported."""
        if self._lazy and _vcr_wanted():
            self._start_vcr()

    def _start_vcr(self) -> None:
        """Hand HTTP to vcrpy (every client it knows, ``http.client`` included)."""
        with self._lock:
            if not self._lazy:
                return
            self._lazy = False
            if "vcr.patch" not in sys.modules:  # vcrpy keeps the classes it finds as the real ones
                taping = (http.client.HTTPConnection, http.client.HTTPSConnection)
                _set_classes(self._originals)
                try:
                    require("vcr", NAME, "http")
                finally:
                    _set_classes(taping)
            from vcr import cassette
            from vcr.filters import decode_response

            cassette_class: Any = _cassette_class(cassette, decode_response)
            self._undos.append(_mark_absent())
            context = cassette_class.use(
                path="legacy-harness-tape", persister=_Persister, record_mode="all"
            )
            context.__enter__()
            self._undos.append(lambda: context.__exit__(None, None, None))
            self._undos.append(_speed_up_vcr())
            _VCR_TAPES[0] = True
            self._undos.append(lambda: _VCR_TAPES.__setitem__(0, False))
