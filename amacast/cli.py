"""The ``amacast`` command line: thin click wrappers over library calls.

Only this module prints.  Diagnostics and progress go to stderr, requested
data (``--format json``) to stdout.  Exit codes: 0 clean (warnings allowed),
1 errors in the input, 2 usage.
"""

from __future__ import annotations

import click

from amacast import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="amacast")
def main() -> None:
    """Publish AMA and interview transcripts as a podcast.

    Transcripts live in episodes/ as Markdown with YAML front matter and a
    Legend; `amacast validate` checks them, `amacast build` writes the feeds,
    `amacast render` narrates them, `amacast publish` does everything into output/.
    """
