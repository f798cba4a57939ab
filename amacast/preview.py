"""A local preview server for the built site (``amacast serve``).

Python's ``http.server`` with two additions a podcast site needs: byte ranges
(browsers seek in audio with ``Range`` requests, as GitHub Pages allows) and
the right types for feeds, transcripts and chapters.  It binds to 127.0.0.1
by default and never lists folders outside the one it serves.
"""

from __future__ import annotations

import os
import re
import shutil
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


class PreviewHandler(SimpleHTTPRequestHandler):
    """Serves one folder, answers ``Range`` requests, and stays quiet unless asked."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **EXTRA_TYPES}
    quiet = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        """Log requests only when the server was made with ``quiet=False``."""
        if not self.quiet:
            super().log_message(format, *args)

    def send_head(self) -> Any:
        """Like the base class, plus a 206 answer for a single byte range."""
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
    directory: Path, host: str = "127.0.0.1", port: int = 8000, *, quiet: bool = True
) -> ThreadingHTTPServer:
    """A server for ``directory`` bound to ``host:port`` (port 0 picks a free one).

    Call ``serve_forever()`` on it, and ``shutdown()`` from another thread to stop.
    """
    handler = type("Handler", (PreviewHandler,), {"quiet": quiet})
    server = ThreadingHTTPServer((host, port), partial(handler, directory=os.fspath(directory)))
    server.daemon_threads = True
    return server


def server_url(server: ThreadingHTTPServer) -> str:
    """The ``http://host:port/`` address a server listens on."""
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}/"
