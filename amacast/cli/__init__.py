"""The ``amacast`` command line: thin click wrappers over library calls.

Only this package prints.  Diagnostics and progress go to stderr, requested
data (``--format json``) to stdout.  Exit codes are
:class:`amacast.errors.ExitCode`: 0 clean (warnings allowed), 1 errors in the
input, 2 usage (and outside a project: every command but ``init`` looks for
``amacast.toml`` in the current folder and its parents, as git looks for
``.git``), 3 the environment (an :class:`amacast.errors.AmacastError` says
which).  Paths are printed relative to the project.

One module a command (or two close ones): ``check`` (validate), ``building``
(build, publish), ``narrating`` (render), ``cast`` (voices), ``starting`` (init,
new), ``serving`` (serve); ``common`` holds what they share.
"""

from __future__ import annotations

import click

from amacast import __version__
from amacast.cli.building import build, publish
from amacast.cli.cast import voices
from amacast.cli.check import validate
from amacast.cli.narrating import render
from amacast.cli.serving import serve
from amacast.cli.starting import init, new

# The commands import what they use when they run: `amacast --help` starts in 0.2 s,
# against 2.5-3.5 s with every command's modules (numpy, scipy, onnxruntime, feedgen,
# jinja2) loaded at the top (`/usr/bin/time`, three runs each, on a shared machine).


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="amacast")
def main() -> None:
    """Publish AMA and interview transcripts as a podcast.

    `amacast init` starts a project (amacast.toml, episodes/, a cover, a
    workflow).  Transcripts live in episodes/ as Markdown with YAML front
    matter and a Legend; `amacast validate` checks them, `amacast build`
    writes the feeds and the site, `amacast render` narrates them,
    `amacast publish` does everything into output/.
    """


main.add_command(validate)
main.add_command(build)
main.add_command(publish)
main.add_command(new)
main.add_command(init)
main.add_command(serve)
main.add_command(voices)
main.add_command(render)
