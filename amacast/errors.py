"""Failures of the environment, and the exit codes of the command line.

A mistake in a transcript or in ``amacast.toml`` is a
:class:`~amacast.model.Diagnostic` value, never an exception.  Exceptions
are for what goes wrong around the input: an output folder that cannot be
written or is the project itself, another build holding the lock, SIGTERM,
a speech engine or ffmpeg failing.  They all derive from
:class:`AmacastError`, and each class says which :class:`ExitCode` a command
ends with when it reports one; ``cli.py`` maps them (nothing here knows
click).  This module imports nothing of amacast, so every room may use it.

The hierarchy (each class is defined where it is raised)::

    AmacastError                      exit 3 unless said otherwise
    ├── OutputError                   amacast.build.fs: output cannot be built
    │   ├── OutputRefused             amacast.build.places, exit 2: the output folder is or
    │   │                             holds the project
    │   ├── BuildRunning              amacast.build.lock: another build holds the lock
    │   └── BuildInterrupted          amacast.build.signals, exit 143: SIGTERM arrived during
    │                                 a build
    ├── BuildError                    amacast.build.pipeline: a step failed once started
    ├── EngineError                   amacast.audio.engines.base: a text could not be spoken
    ├── EncodeError                   amacast.audio.mp3: ffmpeg could not encode or decode
    └── MasteringError                amacast.audio.mastering: an episode could not be assembled

``amacast.audio.render.RenderError`` stays outside: it says an episode could not be
rendered, for reasons of the input (an unknown ``--engine``, nothing to say)
as well as of the machine, and ``amacast render`` exits 1 with it.
"""

from __future__ import annotations

import signal
from enum import IntEnum
from typing import ClassVar


class ExitCode(IntEnum):
    """How a command ended, as its process exit status (black's ``Report.return_code``)."""

    OK = 0
    """Done; warnings allowed (without ``--strict``)."""
    INPUT = 1
    """Errors in the transcripts or the settings, or warnings under ``--strict``."""
    USAGE = 2
    """A wrong command line, no project here, or an output folder that is the project."""
    ENVIRONMENT = 3
    """The machine failed the run: unwritable output, another build running, an engine failing."""
    TERMINATED = 128 + signal.SIGTERM
    """SIGTERM ended a build (the shell's convention for a run ended by a signal)."""


class AmacastError(Exception):
    """Something around the input failed; the input itself may be fine."""

    exit_code: ClassVar[ExitCode] = ExitCode.ENVIRONMENT
    """What a command that reports this failure exits with."""
