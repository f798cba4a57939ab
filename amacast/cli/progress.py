"""Progress on stderr for long jobs over episodes (``render``, ``publish``).

On a terminal: one bar redrawn in place with the share done and the time
left.  Otherwise (a CI log, a pipe): one line each time an episode is done,
naming it, and nothing in between, so a log holds one line per episode and
never a stream of percentages.  The printer knows nothing of what the work
is; the command line feeds it counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

BAR_WIDTH = 30


def clock(seconds: float | None) -> str:
    """``m:ss`` (or ``h:mm:ss``); ``--:--`` when not known yet."""
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def time_left(fraction: float, elapsed: float) -> float | None:
    """Seconds left at this pace, or None before any work is done."""
    if fraction <= 0.0 or elapsed <= 0.0:
        return None
    return max(0.0, elapsed * (1.0 - fraction) / fraction)


@dataclass
class ProgressPrinter:
    """Shows progress over ``unit`` (e.g. episodes) as a bar or as a line per item.

    ``write`` receives text without a trailing newline, and ``newline``
    says whether to end the line; ``tty`` picks the form.
    """

    label: str
    tty: bool
    write: Callable[[str, bool], None]
    unit: str = "episodes"
    _done: int = field(default=0, init=False)
    _drawn: bool = field(default=False, init=False)

    def update(
        self,
        done: int,
        total: int,
        fraction: float,
        elapsed: float,
        *,
        current: str = "",
        detail: str = "",
    ) -> None:
        """Show that ``done`` of ``total`` items (``fraction`` of the work) are done."""
        left = time_left(fraction, elapsed)
        counts = f"{done}/{total} {self.unit}" + (f", {detail}" if detail else "")
        if self.tty:
            filled = int(max(0.0, min(1.0, fraction)) * BAR_WIDTH)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.write(
                f"\r{self.label}: [{bar}] {fraction:4.0%} {counts}, ETA {clock(left)} ", False
            )
            self._drawn = True
            return
        while self._done < done:
            self._done += 1
            name = f" {current}" if current and self._done == done else ""
            self.write(
                f"{self.label}: {self._done}/{total} {self.unit} done{name} "
                f"({clock(elapsed)} elapsed, about {clock(left)} left)",
                True,
            )

    def finish(self) -> None:
        """End the bar's line on a terminal (nothing otherwise)."""
        if self.tty and self._drawn:
            self.write("", True)
            self._drawn = False
