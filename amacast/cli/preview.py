"""A local preview server for the built site (``amacast serve``).

Python's ``http.server`` with two additions a podcast site needs: byte ranges
(browsers seek in audio with ``Range`` requests, as GitHub Pages allows) and
the right types for feeds, transcripts and chapters.  It binds to 127.0.0.1
by default and never lists folders outside the one it serves.

With a :class:`LiveReload` (``amacast serve --watch``) every HTML page it
sends carries a small script that polls ``/__amacast/version`` and reloads
the page when the number changes; the script exists only in what is served,
never in the files on disk.  Whoever rebuilds the site calls ``bump()``.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import threading
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")

EXTRA_TYPES: dict[str, str] = {
    ".mp3": "audio/mpeg",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".xml": "application/xml",
    ".css": "text/css",
    ".js": "text/javascript",
}


VERSION_PATH = "/__amacast/version"

#: Polls the version twice a second and reloads the page when it changes.
RELOAD_SCRIPT = (
    "<script>/* amacast serve --watch */(function(){var seen=null;"
    "function poll(){fetch('" + VERSION_PATH + "',{cache:'no-store'})"
    ".then(function(r){return r.text();}).then(function(v){"
    "if(seen!==null&&v!==seen){location.reload();return;}seen=v;setTimeout(poll,500);})"
    ".catch(function(){setTimeout(poll,1000);});}poll();})();</script>"
)


class LiveReload:
    """A version number that goes up each time the site was rebuilt."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = 0

    @property
    def version(self) -> int:
        """The number of rebuilds so far."""
        with self._lock:
            return self._version

    def bump(self) -> int:
        """Say the site changed: pages open in a browser reload."""
        with self._lock:
            self._version += 1
            return self._version


def with_reload_script(html: bytes) -> bytes:
    """``html`` with :data:`RELOAD_SCRIPT` before its last ``</body>`` (or at its end)."""
    script = RELOAD_SCRIPT.encode("ascii")
    at = html.lower().rfind(b"</body>")
    if at < 0:
        return html + script
    return html[:at] + script + html[at:]


class PreviewHandler(SimpleHTTPRequestHandler):
    """Serves one folder, answers ``Range`` requests, and stays quiet unless asked."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **EXTRA_TYPES}
    quiet = True
    live: LiveReload | None = None

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        """Log requests only when the server was made with ``quiet=False``."""
        if not self.quiet:
            super().log_message(format, *args)

    def send_head(self) -> Any:
        """Like the base class, plus a 206 answer for a single byte range.

        With live reload: the version number, and HTML pages with the script.
        """
        if self.live is not None:
            answer = self._live_head()
            if answer is not None:
                return answer
        header = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        if header is None or not path.is_file():
            return super().send_head()
        match = _RANGE.match(header.strip())
        size = path.stat().st_size
        if match is None or (not match.group(1) and not match.group(2)):
            return super().send_head()
        if match.group(1):
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else size - 1
        else:
            start = max(0, size - int(match.group(2)))
            end = size - 1
        end = min(end, size - 1)
        if start >= size or start > end:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        stream = path.open("rb")
        stream.seek(start)
        self.send_response(HTTPStatus.PARTIAL_CONTENT)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self._range_left: int | None = end - start + 1
        return stream

    def _live_head(self) -> Any:
        """The version, or an HTML page with the script; None for anything else."""
        assert self.live is not None
        if self.path.split("?", 1)[0] == VERSION_PATH:
            return self._send_bytes(str(self.live.version).encode("ascii"), "text/plain")
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?", 1)[0].endswith("/"):
                return None  # the base class redirects to the path with a slash
            path = path / "index.html"
        if path.suffix.lower() not in (".html", ".htm") or not path.is_file():
            return None
        try:
            html = path.read_bytes()
        except OSError:
            return None
        return self._send_bytes(with_reload_script(html), "text/html; charset=utf-8")

    def _send_bytes(self, body: bytes, content_type: str) -> io.BytesIO:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def end_headers(self) -> None:
        """Every answer says ranges are accepted and must not be cached."""
        if not any(h.startswith(b"Accept-Ranges") for h in getattr(self, "_headers_buffer", [])):
            self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def copyfile(self, source: Any, outputfile: Any) -> None:
        """Copy the whole file, or only the requested range."""
        left = getattr(self, "_range_left", None)
        if left is None:
            shutil.copyfileobj(source, outputfile)
            return
        self._range_left = None
        while left > 0:
            chunk = source.read(min(64 * 1024, left))
            if not chunk:
                break
            outputfile.write(chunk)
            left -= len(chunk)


def make_server(
    directory: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    quiet: bool = True,
    live: LiveReload | None = None,
) -> ThreadingHTTPServer:
    """A server for ``directory`` bound to ``host:port`` (port 0 picks a free one).

    Call ``serve_forever()`` on it, and ``shutdown()`` from another thread to stop.
    With ``live``, served pages reload when it is bumped.
    """
    handler = type("Handler", (PreviewHandler,), {"quiet": quiet, "live": live})
    server = ThreadingHTTPServer((host, port), partial(handler, directory=os.fspath(directory)))
    server.daemon_threads = True
    return server


def server_url(server: ThreadingHTTPServer) -> str:
    """The ``http://host:port/`` address a server listens on."""
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}/"
