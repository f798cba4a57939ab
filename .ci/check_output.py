"""Check a published output folder: both feeds, and an MP3 per published episode.

Run by ``.ci/run`` after the README's main command.  Exits 1 naming what is missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import feedparser


def main(output: Path) -> int:
    problems: list[str] = []
    for name in ("atom.xml", "podcast.xml", "index.html"):
        if not (output / name).is_file():
            problems.append(f"{output / name} is missing")
    if not problems:
        podcast = feedparser.parse((output / "podcast.xml").read_bytes())
        atom = feedparser.parse((output / "atom.xml").read_bytes())
        if podcast.bozo or atom.bozo:
            problems.append("a feed does not parse")
        if not podcast.entries:
            problems.append("podcast.xml has no item")
        if len(atom.entries) != len(podcast.entries):
            problems.append(f"{len(atom.entries)} Atom entries but {len(podcast.entries)} items")
        for entry in podcast.entries:
            [enclosure] = [link for link in entry.links if link.get("rel") == "enclosure"]
            mp3 = output / "audio" / enclosure["href"].rsplit("/", 1)[-1]
            if not mp3.is_file() or mp3.stat().st_size != int(enclosure["length"]):
                problems.append(f"{mp3} is missing or not {enclosure['length']} bytes")
            elif not mp3.read_bytes()[:3] in (b"ID3", b"\xff\xfb", b"\xff\xf3"):
                problems.append(f"{mp3} is not an MP3")
    for problem in problems:
        print(f"check_output: {problem}", file=sys.stderr)
    if not problems:
        count = len(list((output / "audio").glob("*.mp3")))
        print(f"check_output: both feeds, {count} MP3(s), every enclosure in place")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "output")))
