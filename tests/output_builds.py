"""Builds through amacast.build.output as a pipeline makes them: here, or in a child killed mid-way.

As a script (``python output_builds.py SPEC``, SPEC a JSON object) it runs one
build of ``files`` into ``<project>/output`` and, when ``kill_at`` is N > 0,
sends itself ``signal`` just before the Nth file-system step of the build
after :meth:`Generation.open` (a write, link, unlink, rename, mkdir, tree
removal or the exchange).  It prints the number of steps it saw as JSON.
``exchange: false`` forces the two-rename fallback.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from amacast.build import fs
from amacast.build import output as output_module
from amacast.build.fs import MANIFEST
from amacast.build.lock import lock_output
from amacast.build.output import Generation
from amacast.build.signals import BuildInterrupted, terminate_as_exception


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def build(
    project: Path,
    files: Mapping[str, bytes],
    *,
    manifest: Mapping[str, Any] | None = None,
    durable: bool = False,
    armed: Callable[[], None] | None = None,
) -> Generation:
    """Build ``files`` (relative path -> bytes) into ``project/output`` as the pipeline would.

    Files whose hash the live manifest already gives are kept; ``.mp3`` files
    are made in the scratch folder at their output paths and moved in
    (:meth:`Generation.put_tree`), as pages and rendered audio are.
    """
    output, cache = project / "output", project / ".amacast-cache"
    with lock_output(output, cache), terminate_as_exception():
        generation = Generation.open(output, cache, project, durable=durable)
        if armed is not None:
            armed()
        try:
            changed = {p: c for p, c in files.items() if generation.previous.get(p) != sha(c)}
            generation.put({p: c for p, c in changed.items() if not p.endswith(".mp3")})
            for relative, content in changed.items():
                if relative.endswith(".mp3"):
                    made = generation.scratch / relative
                    made.parent.mkdir(parents=True, exist_ok=True)
                    made.write_bytes(content)
            generation.put_tree(generation.scratch)
            hashes = {p: sha(c) for p, c in files.items()}
            generation.commit(hashes, manifest if manifest is not None else {"version": 1})
        except BaseException:
            generation.discard()
            raise
    return generation


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (symbolic links as ``-> target``), by relative path."""
    found: dict[str, bytes] = {}
    for parent, _folders, names in os.walk(folder):
        for name in names:
            path = Path(parent, name)
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink():
                found[relative] = b"-> " + os.fsencode(os.readlink(path))
            else:
                found[relative] = path.read_bytes()
    return found


def is_generation(
    found: Mapping[str, bytes], files: Mapping[str, bytes], foreign: Mapping[str, bytes]
) -> bool:
    """True when ``found`` is exactly ``files`` + ``foreign`` + a manifest listing ``files``."""
    rest = dict(found)
    manifest = rest.pop(MANIFEST, None)
    if manifest is None or rest != {**foreign, **files}:
        return False
    listed = json.loads(manifest).get("files")
    return bool(listed == {p: sha(c) for p, c in files.items()})


STEPS = (
    (os, "link"),
    (os, "unlink"),
    (os, "rename"),
    (os, "replace"),
    (os, "mkdir"),
    (os, "write"),
    (shutil, "rmtree"),
    (output_module, "exchange"),
)


def _arm(kill_at: int, signum: int, seen: list[int]) -> Callable[[], None]:
    """Once called, counts steps and signals this process before step ``kill_at``."""

    def arm() -> None:
        for module, name in STEPS:
            original = getattr(module, name)

            def step(*arguments: Any, _original: Any = original, **keywords: Any) -> Any:
                seen[0] += 1
                if seen[0] == kill_at:
                    os.kill(os.getpid(), signum)
                return _original(*arguments, **keywords)

            setattr(module, name, step)

    return arm


def main() -> int:
    spec = json.loads(sys.argv[1])
    if not spec.get("exchange", True):
        fs.use_rename_exchange = False
    files = {p: c.encode("utf-8") for p, c in spec["files"].items()}
    seen = [0]
    signum = getattr(signal, f"SIG{spec.get('signal', 'KILL')}")
    arm = _arm(int(spec.get("kill_at", 0)), signum, seen)
    try:
        build(Path(spec["project"]), files, armed=arm)
    except BuildInterrupted:
        print(json.dumps({"steps": seen[0], "interrupted": True}))
        return 3
    print(json.dumps({"steps": seen[0], "interrupted": False}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
