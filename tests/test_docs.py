"""The README and docs/ say only what is true: commands, options and output paths.

Every ``amacast COMMAND --option`` written in code in README.md and docs/*.md
is checked against the command line itself, and every output path they name
(``output/…``, ``audio/<slug>.mp3``, the URLs in the feed examples) against
the files a real publish of a small project writes.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from amacast.cli import main
from tests.conftest import cli_runner
from tests.test_render import EPISODE

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLE_BASE = "https://example.github.io/amacast/"
# Where a command starts: a line or code span, a prompt, a path, `&&`, `python -m`, `VAR=x `.
COMMAND = re.compile(
    r"(?:^|\$\s+|/|&&\s*|;\s*|\|\s*|\(\s*|-m\s+|=\S+\s+|\x00\s*)amacast ([a-z][\w-]*)"
)
OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")
SLUG = "[a-z0-9][a-z0-9-]*"
SHELL_BLOCKS = {"sh", "console", "bash", "shell", "text", ""}


def code_lines(text: str) -> list[tuple[int, str]]:
    """(line number, the code on it): fenced blocks whole, inline code spans joined."""
    found: list[tuple[int, str]] = []
    fenced = False
    shell = False
    carried = ""
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            shell = line.strip().strip("`") in SHELL_BLOCKS
            carried = ""
            continue
        if fenced and not shell:
            continue  # XML, TOML, Markdown, YAML examples: no commands
        if fenced:
            # A shell line continued with a backslash belongs to the command above.
            code = carried + line.split(" #", 1)[0]
            carried = code.rstrip("\\") if code.rstrip().endswith("\\") else ""
            found.append((number, code))
        else:
            spans = re.findall(r"`([^`]+)`", line.replace("\\|", "|"))
            if spans:
                found.append((number, " \x00 ".join(spans)))
    return found


def named_options() -> list[tuple[str, int, str, str]]:
    """(file, line, command, option or "") for every command named in code."""
    named: list[tuple[str, int, str, str]] = []
    for doc in DOCS:
        for number, code in code_lines(doc.read_text(encoding="utf-8")):
            commands = list(COMMAND.finditer(code))
            for index, match in enumerate(commands):
                end = commands[index + 1].start() if index + 1 < len(commands) else len(code)
                tail = re.split(r"&&|\|\||;", code[match.end() : end], maxsplit=1)[0]
                named.append((doc.name, number, match.group(1), ""))
                for option in OPTION.findall(tail):
                    named.append((doc.name, number, match.group(1), option))
    return named


def test_the_docs_name_commands_and_options() -> None:
    named = named_options()
    commands = {command for _, _, command, _ in named}
    assert {"init", "validate", "build", "render", "publish", "serve", "new"} <= commands
    assert len([option for *_, option in named if option]) > 20


def test_every_command_and_option_in_the_docs_exists() -> None:
    wrong: list[str] = []
    for name, line, command_name, option in named_options():
        command = main.commands.get(command_name)
        if command is None:
            wrong.append(f"{name}:{line}: no command `amacast {command_name}`")
            continue
        if not option:
            continue
        known = {"--help", "-h"}
        for param in command.params:
            if isinstance(param, click.Option):
                known.update(param.opts)
                known.update(param.secondary_opts)
        if option not in known:
            wrong.append(f"{name}:{line}: `amacast {command_name}` has no option {option}")
    assert wrong == []


def test_every_command_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {m.group(1) for m in re.finditer(r"^\| `amacast ([a-z]+)", readme, re.MULTILINE)}
    assert rows == set(main.commands)


def test_code_lines_join_continued_commands_and_skip_other_blocks() -> None:
    text = "Run `amacast render --fast` or\n```sh\namacast publish \\\n  --nope\n```\n"
    text += "```xml\n<name>amacast example</name>\n```\n"
    assert code_lines(text) == [
        (1, "amacast render --fast"),
        (3, "amacast publish \\"),
        (4, "amacast publish   --nope"),
    ]


# --- output paths ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The paths a publish with audio writes, each episode's slug written ``<slug>``."""
    project = tmp_path_factory.mktemp("docs-project")
    (project / "episodes").mkdir()
    (project / "episodes" / "2026-03-14-rin.md").write_text(EPISODE, encoding="utf-8")
    (project / "amacast.toml").write_text(
        'title = "T"\nbase_url = "https://example.org/"\n\n[audio]\nintro = false\n',
        encoding="utf-8",
    )
    runner: CliRunner = cli_runner()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        patch.delenv("AMACAST_BASE_URL", raising=False)
        result = runner.invoke(main, ["publish"])
    assert result.exit_code == 0, result.output
    output = project / "output"
    files = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}
    return {path.replace("ama-with-rin-okafor", "<slug>") for path in files}


def templates(paths: set[str]) -> list[re.Pattern[str]]:
    """Patterns for the files and the folders that hold them, ``<slug>`` any slug."""
    shapes = set(paths)
    for path in paths:
        parts = path.split("/")
        shapes.update("/".join(parts[:i]) + "/" for i in range(1, len(parts)))
    return [re.compile(re.escape(shape).replace(re.escape("<slug>"), SLUG)) for shape in shapes]


def named_outputs() -> list[tuple[str, int, str]]:
    """(file, line, path under the output) for every output path the docs name."""
    named: list[tuple[str, int, str]] = []
    for doc in DOCS:
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            for url in re.findall(re.escape(EXAMPLE_BASE) + r'([^"\s<>]*)', line):
                if url and not url.startswith(("releases/",)):
                    named.append((doc.name, number, url))
            for span in re.findall(r"`([^`]+)`", line):
                for path in re.findall(r"(?:^|\s)output/(\S*)", span):
                    if path:
                        named.append((doc.name, number, path))
                match = re.fullmatch(r"(audio|transcripts|chapters|episodes)/(<slug>\S*)", span)
                if match and not span.endswith(".md"):
                    named.append((doc.name, number, span))
    return named


def test_every_output_path_in_the_docs_is_written(written: set[str]) -> None:
    shapes = templates(written)
    named = named_outputs()
    assert any("chapters/" in path for _, _, path in named)
    wrong = [
        f"{name}:{line}: {path}"
        for name, line, path in named
        if not any(shape.fullmatch(re.sub(r"<[^>]+>", "some-slug", path)) for shape in shapes)
    ]
    assert wrong == [], f"not written by a publish ({sorted(written)})"


def test_the_chapters_path_of_old_docs_would_be_caught(written: set[str]) -> None:
    shapes = templates(written)
    assert not any(s.fullmatch("transcripts/ama-with-ann.chapters.json") for s in shapes)
    assert any(s.fullmatch("chapters/ama-with-ann.json") for s in shapes)
    assert any(s.fullmatch("episodes/ama-with-ann/") for s in shapes)
