"""``amacast init``: a new project, with nothing asked that can be found out.

Writes ``amacast.toml`` (title from the folder's name, author and e-mail from
git, ``base_url`` from a GitHub remote, language and timezone from the
machine), ``episodes/`` with one example episode, a placeholder cover that
meets Apple's rules and a GitHub Actions workflow that publishes with the
amacast action.  Existing files are never overwritten unless asked.  With a
folder of existing posts, those that parse are copied into ``episodes/`` and
the others are reported with their diagnostics.

It knows the transcript format only through the parser and the rules; it
builds nothing.
"""

from __future__ import annotations

import datetime as dt
import getpass
import locale
import os
import re
import shutil
import subprocess
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from amacast.cli.starter_files import (
    COVER_FILE,
    GITIGNORE,
    LOCAL_BASE_URL,
    Defaults,
    cover_png,
    example_episode,
    settings_text,
    workflow_text,
)
from amacast.model import Diagnostic
from amacast.transcript.files import EPISODE_SUFFIXES, EPISODES_DIR
from amacast.transcript.parse import parse_episode
from amacast.transcript.validate import validate_episodes

CONFIG_FILE = "amacast.toml"
WORKFLOW_FILE = ".github/workflows/podcast.yml"
GITIGNORE_FILE = ".gitignore"


class ProjectExistsError(FileExistsError):
    """Files ``amacast init`` would write are already there."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = tuple(paths)
        super().__init__(", ".join(str(p) for p in self.paths))


@dataclass(frozen=True, slots=True)
class Started:
    """What ``amacast init`` did."""

    root: Path
    defaults: Defaults
    written: tuple[Path, ...] = ()
    imported: tuple[Path, ...] = ()
    #: Posts that were not imported, each with its diagnostics (errors first).
    rejected: Mapping[Path, tuple[Diagnostic, ...]] = field(default_factory=dict)


# --- what can be found out -----------------------------------------------------------


def _git(folder: Path, *args: str) -> str:
    """A git command's output in ``folder``, or "" when git or the answer is missing."""
    existing = folder
    while not existing.is_dir() and existing != existing.parent:
        existing = existing.parent
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=existing,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def title_for(folder: Path) -> str:
    """A podcast title from a folder's name: ``my-ama_posts`` gives ``My ama posts``."""
    words = re.sub(r"[-_.\s]+", " ", folder.name).strip()
    if not words:
        return "My podcast"
    return words[0].upper() + words[1:]


def pages_url(remote: str) -> str | None:
    """The GitHub Pages address of a GitHub repository's remote URL, else None.

    ``git@github.com:me/blog.git`` gives ``https://me.github.io/blog/``; a
    user or organisation site (``me/me.github.io``) gives ``https://me.github.io/``.
    """
    import giturlparse

    if not remote:
        return None
    try:
        parsed = giturlparse.parse(remote)
    except Exception:  # noqa: BLE001 - giturlparse raises assorted errors on odd URLs
        return None
    if not parsed.valid or not parsed.github or not parsed.owner or not parsed.repo:
        return None
    owner = str(parsed.owner).lower()
    repo = str(parsed.repo)
    if repo.lower() == f"{owner}.github.io":
        return f"https://{owner}.github.io/"
    return f"https://{owner}.github.io/{repo}/"


def machine_timezone() -> str:
    """The machine's IANA zone (``UTC`` when it cannot be told)."""
    import tzlocal

    try:
        tzlocal.reload_localzone()  # read the machine's setting now, not a cached one
        name = str(tzlocal.get_localzone_name() or "")
    except Exception:  # noqa: BLE001 - tzlocal raises its own errors on odd setups
        name = ""
    if name in ("", "Etc/UTC", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu"):
        return "UTC"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def machine_language() -> str:
    """The language of the machine's locale as a code (``en`` for C/POSIX)."""
    name = ""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if os.environ.get(variable):
            name = os.environ[variable]
            break
    if not name:
        name = locale.getlocale()[0] or ""
    code = re.split(r"[_.@-]", name, maxsplit=1)[0].lower()
    if not re.fullmatch(r"[a-z]{2,3}", code) or code in ("c", "posix"):
        return "en"
    return code


def find_defaults(folder: Path) -> Defaults:
    """Everything amacast.toml needs, found out for a project in ``folder``."""
    author = _git(folder, "config", "user.name")
    if not author:
        try:
            author = getpass.getuser()
        except (OSError, KeyError):
            author = ""
    top = _git(folder, "rev-parse", "--show-toplevel")
    working = "."
    if top:
        try:
            working = Path(os.path.abspath(folder)).relative_to(Path(top).resolve()).as_posix()
        except ValueError:
            working = "."
    return Defaults(
        title=title_for(Path(os.path.abspath(folder))),
        author=author,
        email=_git(folder, "config", "user.email"),
        base_url=pages_url(_git(folder, "remote", "get-url", "origin")) or LOCAL_BASE_URL,
        language=machine_language(),
        timezone=machine_timezone(),
        working_directory=working or ".",
    )


# --- importing posts -----------------------------------------------------------------


def _post_files(source: Path) -> list[Path]:
    return sorted(
        p
        for p in source.rglob("*")
        if p.suffix in EPISODE_SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(source).parts)
    )


def _import_name(post: Path) -> str:
    """The file name in episodes/: a page bundle's ``index.md`` is named for its folder."""
    if post.stem in ("index", "_index"):
        return f"{post.parent.name}{post.suffix}"
    return post.name


def sort_posts(
    posts: Sequence[Path], timezone: str
) -> tuple[list[Path], dict[Path, tuple[Diagnostic, ...]]]:
    """The posts that parse without errors, and the others with their diagnostics."""
    episodes = [parse_episode(p) for p in posts]
    found = validate_episodes(episodes, timezone)
    by_path: dict[str, list[Diagnostic]] = {}
    for d in found:
        by_path.setdefault(d.path, []).append(d)
    good: list[Path] = []
    bad: dict[Path, tuple[Diagnostic, ...]] = {}
    names: set[str] = set()
    for post in posts:
        mine = by_path.get(str(post), [])
        errors = [d for d in mine if d.severity == "error"]
        name = _import_name(post)
        if name in names:
            errors.append(
                Diagnostic(
                    str(post),
                    1,
                    1,
                    "duplicate-file-name",
                    "error",
                    f"another post is already imported as {EPISODES_DIR}/{name}",
                    "rename one of them",
                )
            )
        if errors:
            bad[post] = tuple(errors)
        else:
            names.add(name)
            good.append(post)
    return good, bad


# --- the whole job -------------------------------------------------------------------


def start_project(
    folder: Path,
    *,
    force: bool = False,
    source: Path | None = None,
    defaults: Defaults | None = None,
    now: dt.datetime | None = None,
) -> Started:
    """Write a new project into ``folder`` (made if missing) and return what was written.

    Raises :class:`ProjectExistsError`, writing nothing, when a file it would
    write exists, unless ``force``.  ``source`` is a folder of existing posts:
    those that parse without errors are copied into ``episodes/`` (then no
    example episode is written), the others are returned with their diagnostics.
    """
    defaults = defaults or find_defaults(folder)
    zone = zoneinfo.ZoneInfo(defaults.timezone)
    moment = (now or dt.datetime.now(zone)).astimezone(zone)

    imported: list[Path] = []
    rejected: dict[Path, tuple[Diagnostic, ...]] = {}
    if source is not None:
        imported, rejected = sort_posts(_post_files(source), defaults.timezone)

    files: dict[Path, bytes] = {
        folder / CONFIG_FILE: settings_text(defaults).encode("utf-8"),
        folder / COVER_FILE: b"",  # made below, once nothing stands in the way
        folder / WORKFLOW_FILE: workflow_text(defaults).encode("utf-8"),
    }
    workflow_root = folder
    if defaults.working_directory != ".":
        parts = Path(defaults.working_directory).parts
        workflow_root = Path(os.path.abspath(folder)).parents[len(parts) - 1]
        files[workflow_root / WORKFLOW_FILE] = files.pop(folder / WORKFLOW_FILE)
    copies: dict[Path, Path] = {}
    if imported:
        for post in imported:
            copies[folder / EPISODES_DIR / _import_name(post)] = post
    else:
        name = f"{moment:%Y-%m-%d}-welcome.md"
        files[folder / EPISODES_DIR / name] = example_episode(defaults.title, moment).encode(
            "utf-8"
        )
    existing = [p for p in [*files, *copies] if p.exists()]
    if existing and not force:
        raise ProjectExistsError(existing)

    files[folder / COVER_FILE] = cover_png()
    if not (folder / GITIGNORE_FILE).exists():  # a blog's own is left as it is
        files[folder / GITIGNORE_FILE] = GITIGNORE.encode("utf-8")
    written: list[Path] = []
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    for target, post in copies.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(post, target)
        written.append(target)
    (folder / EPISODES_DIR).mkdir(parents=True, exist_ok=True)
    return Started(
        folder,
        defaults,
        tuple(written),
        tuple(copies),
        rejected,
    )
