"""The rooms of amacast and who may import whom (docs/architecture.md), checked on every import.

Every ``import`` of every module under ``amacast/`` is read with :mod:`ast`:
module-level ones, the ones inside functions and the ``TYPE_CHECKING`` ones.
Each edge between two amacast modules must be allowed by :data:`MAY_IMPORT`
for the rooms :data:`ROOMS` puts them in; engines import only their base;
the modules import one another without a cycle; and an import made inside a
function says why on the line above it (or at its end).  A failure lists
each offending edge with its file and line.

:data:`ROOMS` maps today's modules to their rooms, flat ones included, so
moving a file into its package later changes this table and nothing else.
:data:`KNOWN` lists the edges that break a rule today, each with its reason;
an edge listed there that no longer exists fails the test too, so the list
only shrinks.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "amacast"

#: Module (or package, for everything under it) -> room.  The longest name that
#: is the module or a package holding it wins; ``amacast`` itself is only the
#: package's ``__init__`` (its version).
ROOMS: dict[str, str] = {
    "amacast": "model",
    "amacast.model": "model",
    "amacast.errors": "model",
    # markup: safe HTML and XML text (the sanitiser, bare web addresses, the transcript as HTML)
    "amacast.markup": "markup",
    # transcript: bytes -> Episode + diagnostics, the validation rules, the repairs
    "amacast.transcript": "transcript",
    # config: amacast.toml -> typed settings
    "amacast.config": "config",
    # feeds: Atom and podcast RSS
    "amacast.feeds": "feeds",
    # audio: engines, voices, speakable text, plan, segment cache, mastering, ffmpeg, sidecars
    "amacast.audio": "audio",
    # site: pages as bytes
    "amacast.site": "site",
    # build: what changed, reuse, workers, state, the commit
    "amacast.build": "build",
    # cli: the command line and what only it uses
    "amacast.cli": "cli",
    "amacast.__main__": "cli",
}

#: Room -> the other rooms its modules may import (a room may always import itself).
MAY_IMPORT: dict[str, frozenset[str]] = {
    "model": frozenset(),
    "markup": frozenset({"model"}),
    "transcript": frozenset({"model", "markup"}),
    "config": frozenset({"model"}),
    "feeds": frozenset({"model", "markup", "config"}),
    "audio": frozenset({"model", "config"}),
    "site": frozenset({"model", "markup", "config"}),
    "build": frozenset({"model", "markup", "transcript", "config", "feeds", "audio", "site"}),
    "cli": frozenset(
        {"model", "markup", "transcript", "config", "feeds", "audio", "site", "build"}
    ),
}

#: What an engine module may import of amacast: its contract (which names Voice and PCM).
ENGINE_BASE = frozenset({"amacast.audio.engines.base", "amacast.audio.engines.phonemes"})
#: Modules of ``amacast.audio.engines`` that are not engines: the package and the registry.
NOT_ENGINES = frozenset(
    {
        "amacast.audio.engines",
        "amacast.audio.engines.base",
        "amacast.audio.engines.phonemes",
        "amacast.audio.engines.registry",
    }
)

#: Edges that break a rule today: (importer, imported) -> why, and who clears it.
KNOWN: dict[tuple[str, str], str] = {}

#: Cycles known today, each as the edge that closes it -> why.
KNOWN_CYCLES: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Edge:
    """One import of an amacast module by another."""

    importer: str
    imported: str
    path: Path
    line: int
    where: str  # "module", "function" or "type-checking"

    def __str__(self) -> str:
        root = PACKAGE.parent
        place = self.path.relative_to(root) if self.path.is_relative_to(root) else self.path
        return f"{place}:{self.line}: {self.importer} -> {self.imported} ({self.where})"


def module_name(path: Path) -> str:
    """``amacast/feeds/atom.py`` -> ``amacast.feeds.atom``; an ``__init__`` is its package."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    """Every module of the package by name."""
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


MODULES = all_modules()


def room_of(module: str) -> str | None:
    """The room of ``module``: the longest entry of :data:`ROOMS` that is it or holds it."""
    if module == "amacast":
        return ROOMS["amacast"]
    parts = module.split(".")
    for end in range(len(parts), 1, -1):
        room = ROOMS.get(".".join(parts[:end]))
        if room is not None:
            return room
    return None


def _target(node: ast.ImportFrom | ast.Import, name: str, importer: str) -> str:
    """The amacast module an imported name comes from (a submodule when it is one)."""
    if isinstance(node, ast.Import):
        return name
    base = node.module or ""
    if node.level:
        package = importer.split(".")
        if MODULES[importer].name != "__init__.py":
            package = package[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, base] if base else package)
    candidate = f"{base}.{name}"
    return candidate if candidate in MODULES else base


def _is_type_checking(test: ast.expr) -> bool:
    return ast.unparse(test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def edges_of(module: str, path: Path) -> Iterator[tuple[Edge, ast.stmt]]:
    """Every import of an amacast module in ``module``, with the statement that makes it."""

    def walk(node: ast.AST, where: str) -> Iterator[tuple[Edge, ast.stmt]]:
        for child in ast.iter_child_nodes(node):
            inner = where
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                inner = "function"
            elif isinstance(child, ast.If) and _is_type_checking(child.test) and where == "module":
                inner = "type-checking"
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                names = [alias.name for alias in child.names]
                for name in names:
                    target = _target(child, name, module)
                    if target == "amacast" or target.startswith("amacast."):
                        yield Edge(module, target, path, child.lineno, where), child
            yield from walk(child, inner)

    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    seen: set[tuple[str, int]] = set()
    for edge, statement in walk(tree, "module"):
        if (edge.imported, edge.line) not in seen:
            seen.add((edge.imported, edge.line))
            yield edge, statement


def all_edges() -> list[tuple[Edge, ast.stmt]]:
    """Every import edge of the package, in file order."""
    return [found for module, path in MODULES.items() for found in edges_of(module, path)]


EDGES = all_edges()


def rule_broken(edge: Edge) -> str | None:
    """What ``edge`` breaks, or None when the table allows it."""
    if edge.imported not in MODULES:
        return f"imports {edge.imported}, which is not a module of amacast"
    source, target = room_of(edge.importer), room_of(edge.imported)
    if source is None or target is None:
        return "a module without a room: add it to ROOMS in tests/test_imports.py"
    if (
        edge.importer.startswith("amacast.audio.engines.")
        and edge.importer not in NOT_ENGINES
        and edge.imported not in ENGINE_BASE
    ):
        return "an engine imports nothing of amacast but its base"
    if source != target and target not in MAY_IMPORT[source]:
        return f"{source} may not import {target}"
    return None


def violations(edges: list[Edge]) -> list[str]:
    """Each edge that breaks a rule and is not known, as ``file:line: a -> b (...): why``."""
    return [
        f"{edge}: {why}"
        for edge in edges
        if (why := rule_broken(edge)) is not None and (edge.importer, edge.imported) not in KNOWN
    ]


def cycles(edges: list[Edge]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for edge in edges:
        if edge.imported != edge.importer and edge.imported in graph:
            graph[edge.importer].add(edge.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _says_why(line: str) -> bool:
    """Whether a line carries a comment with words besides ``noqa`` and ``type: ignore``."""
    if "#" not in line:
        return False
    comment = line.split("#", 1)[1]
    comment = re.sub(r"noqa(:\s*[A-Z0-9, ]+)?|type:\s*ignore(\[[^]]*\])?", "", comment)
    return re.search(r"[A-Za-z]{2}", comment) is not None


def uncommented(edges: list[tuple[Edge, ast.stmt]]) -> list[str]:
    """Function-level imports without a comment saying why, above their group or on them.

    A group is imports that follow one another; one comment line above it
    covers them all.
    """
    found = []
    for edge, statement in edges:
        if edge.where != "function":
            continue
        text = edge.path.read_text(encoding="utf-8")
        lines = text.splitlines()
        covered = {
            number
            for node in ast.walk(ast.parse(text))
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for number in range(node.lineno, (node.end_lineno or node.lineno) + 1)
        }
        end = statement.end_lineno or statement.lineno
        if any(_says_why(lines[number - 1]) for number in range(statement.lineno, end + 1)):
            continue
        above = statement.lineno - 1
        while above in covered:
            above -= 1
        comment = lines[above - 1].strip() if above >= 1 else ""
        if not (comment.startswith("#") and _says_why(comment)):
            found.append(f"{edge}: say why it is imported here, not at the top")
    return found


# --- the checks --------------------------------------------------------------------------------


def test_every_module_has_a_room() -> None:
    assert [module for module in MODULES if room_of(module) is None] == []


def test_the_rooms_are_the_documented_ones() -> None:
    document = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for room in MAY_IMPORT:
        assert f"| `{room}` " in document or f"| `{room}/` " in document, room


def test_the_documented_modules_of_each_room_are_the_table() -> None:
    document = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = document.split("## Where the modules are today", 1)[1].split("## ", 1)[0]
    documented: dict[str, str] = {}
    for room, cell in re.findall(r"^\| (\w+) \| (.+) \|$", section, re.M):
        for name in re.findall(r"`([^`]+)`", cell):
            if name in ("templates/", "static/"):
                continue
            module = "amacast." + name.removesuffix("/").removesuffix(".py").replace("/", ".")
            documented[module.removesuffix(".__init__")] = room
    existing = {name: room for name, room in ROOMS.items() if name in MODULES}
    assert documented == existing  # packages still to be made (transcript/, audio/) left out


def test_every_import_is_allowed_by_the_table() -> None:
    problems = violations([edge for edge, _statement in EDGES])
    assert problems == [], "imports the table does not allow:\n" + "\n".join(problems)


def test_the_known_exceptions_still_exist_and_still_break_a_rule() -> None:
    present = {(edge.importer, edge.imported): edge for edge, _statement in EDGES}
    gone = [pair for pair in KNOWN if pair not in present]
    assert gone == [], f"clear these from KNOWN in tests/test_imports.py: {gone}"
    allowed = [
        pair
        for pair, edge in present.items()
        if pair in KNOWN and rule_broken(edge) is None and pair not in KNOWN_CYCLES
    ]
    assert allowed == [], f"allowed now, so clear them from KNOWN: {allowed}"


def test_modules_import_one_another_without_a_cycle() -> None:
    edges = [
        edge for edge, _statement in EDGES if (edge.importer, edge.imported) not in KNOWN_CYCLES
    ]
    found = cycles(edges)
    described = []
    for group in found:
        inside = [str(e) for e in edges if e.importer in group and e.imported in group]
        described.append(" <-> ".join(group) + "\n    " + "\n    ".join(inside))
    assert found == [], "import cycles:\n" + "\n".join(described)


def test_the_known_cycles_are_still_cycles() -> None:
    edges = [edge for edge, _statement in EDGES]
    groups = cycles(edges)
    stale = [
        pair
        for pair in KNOWN_CYCLES
        if not any(pair[0] in group and pair[1] in group for group in groups)
    ]
    assert stale == [], f"no longer a cycle, so clear them from KNOWN_CYCLES: {stale}"


def test_every_import_inside_a_function_says_why() -> None:
    problems = uncommented(EDGES)
    assert problems == [], "function-level imports without a reason:\n" + "\n".join(problems)


# --- the checker itself ------------------------------------------------------------------------


def _edges_of_source(tmp_path: Path, module: str, source: str) -> list[tuple[Edge, ast.stmt]]:
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    MODULES[module] = path
    try:
        return list(edges_of(module, path))
    finally:
        del MODULES[module]


def test_the_checker_sees_imports_in_functions_and_type_checking_blocks(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from amacast.build import state\n"
        "def f() -> None:\n"
        "    from amacast.audio.render import render_episode\n"
        "    import amacast.site.pages\n"
    )
    edges = [edge for edge, _ in _edges_of_source(tmp_path, "amacast.feeds.probe", source)]
    assert [(e.imported, e.line, e.where) for e in edges] == [
        ("amacast.build.state", 3, "type-checking"),
        ("amacast.audio.render", 5, "function"),
        ("amacast.site.pages", 6, "function"),
    ]
    assert [line.split(": ", 1)[1] for line in violations(edges)] == [
        "amacast.feeds.probe -> amacast.build.state (type-checking): feeds may not import build",
        "amacast.feeds.probe -> amacast.audio.render (function): feeds may not import audio",
        "amacast.feeds.probe -> amacast.site.pages (function): feeds may not import site",
    ]
    found = _edges_of_source(tmp_path, "amacast.feeds.probe", source)
    assert [line.split(": ", 1)[0] for line in uncommented(found)] == [
        f"{tmp_path / 'probe.py'}:5",
        f"{tmp_path / 'probe.py'}:6",
    ]
    commented = source.replace("def f() -> None:\n", "def f() -> None:\n    # start-up time\n")
    assert uncommented(_edges_of_source(tmp_path, "amacast.feeds.probe", commented)) == []


@pytest.mark.parametrize(
    ("importer", "imported", "broken"),
    [
        ("amacast.audio.engines.gtts", "amacast.config", True),
        ("amacast.audio.engines.gtts", "amacast.audio.engines.base", False),
        ("amacast.audio.engines.registry", "amacast.config.voices", False),
        ("amacast.config.voices", "amacast.audio.engines.base", True),
        ("amacast.audio.engines.piper", "amacast.model", True),
        ("amacast.model", "amacast.errors", False),
        ("amacast.build.pipeline", "amacast.cli", True),
        ("amacast.cli", "amacast.build.pipeline", False),
    ],
)
def test_the_table_decides_single_edges(importer: str, imported: str, broken: bool) -> None:
    edge = Edge(importer, imported, PACKAGE / "x.py", 1, "module")
    assert (rule_broken(edge) is not None) is broken


def test_a_cycle_is_found_with_its_edges() -> None:
    a, b, c = "amacast.feeds", "amacast.feeds.atom", "amacast.feeds.items"
    edges = [
        Edge(a, b, PACKAGE / "feeds" / "__init__.py", 1, "module"),
        Edge(b, c, PACKAGE / "feeds" / "atom.py", 2, "module"),
        Edge(c, a, PACKAGE / "feeds" / "items.py", 3, "function"),
    ]
    assert cycles(edges) == [sorted([a, b, c])]
    assert cycles(edges[:2]) == []
