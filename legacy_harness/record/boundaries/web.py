"""The ``http`` boundary, through vcrpy: requests and responses on the tape.

vcrpy patches the HTTP clients (http.client and urllib, requests, urllib3, httpx, ...)
and hands every request to a cassette. The cassette used here keeps nothing itself:
while recording it lets the request go out and tapes request and response; on replay it
answers from the case's tape (record mode ``none``: nothing reaches the network) and
keeps today's POST, PUT, PATCH and DELETE requests for comparison with the recorded ones.
A request the tape does not hold stops the call with the nearest recorded request.

The tape holds what a reviewer needs: method, URL, the content type, the body as text,
and the response's status, headers that matter, and body (decompressed).
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import importlib.util
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from legacy_harness.errors import ForbiddenIO
from legacy_harness.record.boundaries.base import Boundary, Undo, require
from legacy_harness.record.boundaries.context import Channel, current
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
    method = str(request.method).upper()
    call: dict[str, Any] = {"method": method, "url": request.uri}
    headers = {
        name.lower(): str(value)
        for name, value in dict(request.headers).items()
        if name.lower() in REQUEST_HEADERS
    }
    if headers:
        call["headers"] = headers
    body = _text(getattr(request, "body_bytes", request.body), channel)
    if body is not None:
        call["body"] = body
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
            asked = Interaction(NAME, kind, call)
            if kind is InteractionKind.READ:
                found = channel.take(asked)
            else:
                found = channel.write(asked)
            if found is None or "status" not in found.result:
                raise ForbiddenIO(channel.miss(asked).render())
            setattr(request, ANSWER, found)
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


class HttpBoundary(Boundary):
    """``http``: every request made by the call, through vcrpy."""

    name = NAME
    category = NAME

    def load(self) -> None:
        require("vcr", NAME, "http")
        from vcr import cassette
        from vcr.filters import decode_response

        self.cassette_class: Any = _cassette_class(cassette, decode_response)

    def patch(self) -> list[Undo]:
        unmark = _mark_absent()
        context = self.cassette_class.use(
            path="legacy-harness-tape", persister=_Persister, record_mode="all"
        )
        try:
            context.__enter__()
        except BaseException:
            unmark()
            raise

        def undo() -> None:
            context.__exit__(None, None, None)

        try:
            restore = _speed_up_vcr()
        except BaseException:
            undo()
            unmark()
            raise
        return [unmark, undo, restore]
