"""Speaker → voice: palette, [voices] mapping rules, front matter, defaults, diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest

from amacast.audio.engines.base import Voice
from amacast.audio.voices import (
    Casting,
    assign_voices,
    cast_episode,
    describe,
    narrator_voice,
    palette,
    voice_named,
    write_sample,
)
from amacast.config.voices import PALETTE
from amacast.model import Episode
from amacast.transcript.parse import parse_episode_text

LEGEND = """---
title: "AMA with Sayak Paul"
date: 2019-11-13T15:14:46+05:30
{extra}---

**Legend:**

- S: Sayak Paul
- H: Hema (host)
- P(n): Participants

**P1:** *First question?*

**S:** An answer.

**P2:** *Second question?*

**H:** Thanks.

**P3:** *Third?*

**S:** Another answer.
"""


def episode(extra: str = "") -> Episode:
    parsed = parse_episode_text(LEGEND.format(extra=extra), "episodes/ama.md")
    assert [s.code for s in parsed.speakers][:2] == ["S", "H"]
    return parsed


def codes(diagnostics) -> list[str]:  # type: ignore[no-untyped-def]
    return [d.code for d in diagnostics]


def test_palette_voices_are_distinct_per_engine() -> None:
    piper = palette("piper")
    assert [v.id for v in piper] == ["joe", "joe-higher", "joe-high"]
    assert len({v.pitch for v in piper}) == len(piper)
    assert [(v.id, v.pitch) for v in palette("hibari")] == [("heart", 1.0), ("heart-low", 0.85)]
    gtts = palette("gtts")
    assert {v.tld for v in gtts} >= {"com", "co.uk", "com.au", "co.in"}
    assert all(v.engine == "gtts" for v in gtts)


def test_default_cast_gives_guest_host_and_participants_different_people() -> None:
    voices, problems = assign_voices(episode(), {})
    assert problems == []
    # The guest: hibari's heart; the host and narrator: Piper's joe; participants
    # rotate over joe's two higher variants.
    assert (voices["S"].id, voices["S"].engine) == ("heart", "hibari")
    assert (voices["H"].id, voices["H"].engine) == ("joe", "piper")
    assert [voices[c].id for c in ("P1", "P2", "P3")] == ["joe-high", "joe-higher", "joe-high"]
    assert narrator_voice(voices).id == "joe"
    assert narrator_voice(voices) != voices["S"]


def test_default_cast_gives_a_second_guest_another_voice() -> None:
    text = LEGEND.replace("- H: Hema (host)\n", "- K: Kim Lee\n").replace("**H:**", "**K:**")
    voices, _ = assign_voices(parse_episode_text(text.format(extra=""), "a.md"), {})
    assert voices["S"].id == "heart" and voices["K"].id == "heart-low"
    assert voices["narrator"].engine == "piper"


def test_default_is_deterministic_and_per_engine() -> None:
    first, _ = assign_voices(episode(), {}, engine="gtts")
    second, _ = assign_voices(episode(), {}, engine="gtts")
    assert first == second
    assert {v.engine for v in first.values()} == {"gtts"}
    assert first["S"].id == "gtts-us" and first["P1"].id != "gtts-us"
    assert first["narrator"].id != first["S"].id
    alone, _ = assign_voices(episode(), {}, engine="hibari")
    assert alone["S"].id == "heart"
    assert {alone[c].id for c in ("H", "P1", "narrator")} == {"heart-low"}


def test_cast_episode_says_why_each_speaker_has_a_voice() -> None:
    extra = "voices:\n  P(n): joe\n"
    cast, problems = cast_episode(episode(extra), {"host": "gtts-uk", "narrator": "joe-high"})
    assert problems == []
    assert cast["S"] == Casting(PALETTE["heart"], "default cast of piper: guest")
    assert cast["H"] == Casting(PALETTE["gtts-uk"], "amacast.toml [voices] host")
    assert cast["P2"] == Casting(PALETTE["joe"], "front matter voices.P(n)")
    assert cast["narrator"] == Casting(PALETTE["joe-high"], "amacast.toml [voices] narrator")
    by_name, _ = cast_episode(episode(), {"sayak paul": "joe"})
    assert by_name["S"].reason == "amacast.toml [voices] sayak paul"


def test_mapping_by_code_pattern_and_name() -> None:
    table = {"S": "joe-high", "P(n)": "gtts-uk", "hema": "gtts-in"}
    voices, problems = assign_voices(episode(), table)
    assert problems == []
    assert voices["S"].id == "joe-high"
    assert voices["H"].id == "gtts-in"  # by name, case-insensitive
    assert {voices[c].id for c in ("P1", "P2", "P3")} == {"gtts-uk"}


def test_code_beats_pattern_beats_name() -> None:
    table = {
        "P2": "joe",
        "P(n)": "joe-high",
        "Participant 2": "joe-higher",
        "Sayak  Paul": "gtts-au",
    }
    voices, _ = assign_voices(episode(), table)
    assert voices["P2"].id == "joe"
    assert voices["P1"].id == "joe-high"
    assert voices["S"].id == "gtts-au"


def test_names_of_other_episodes_are_not_a_problem_in_the_table() -> None:
    _, problems = assign_voices(episode(), {"Somebody Else": "joe-high"})
    assert problems == []


def test_role_defaults_and_participant_rotation() -> None:
    table = {"guest": "gtts-uk", "host": "gtts-au", "participants": ["joe", "joe-high"]}
    voices, problems = assign_voices(episode(), table)
    assert problems == []
    assert voices["S"].id == "gtts-uk" and voices["H"].id == "gtts-au"
    assert [voices[c].id for c in ("P1", "P2", "P3")] == ["joe", "joe-high", "joe"]


def test_default_avoids_voices_already_mapped() -> None:
    voices, _ = assign_voices(episode(), {"S": "joe-high"})
    assert voices["S"].id == "joe-high"
    assert voices["H"].id == "joe"
    assert {voices[c].id for c in ("P1", "P2", "P3")} == {"joe-higher"}


def test_front_matter_overrides_the_table() -> None:
    extra = "voices:\n  S: gtts-ie\n  narrator: joe-high\n"
    voices, problems = assign_voices(episode(extra), {"S": "joe-high", "narrator": "joe"})
    assert problems == []
    assert voices["S"].id == "gtts-ie"
    assert voices["narrator"].id == "joe-high"


def test_front_matter_key_naming_no_speaker_is_a_warning_with_its_line() -> None:
    extra = "voices:\n  X: joe\n"
    _, problems = assign_voices(episode(extra), {})
    assert codes(problems) == ["voices-unknown-speaker"]
    assert problems[0].severity == "warning"
    assert problems[0].path == "episodes/ama.md" and problems[0].line == 5  # the key's own
    assert "voices.X" in problems[0].message


def test_front_matter_voices_must_be_a_mapping() -> None:
    voices, problems = assign_voices(episode("voices: joe\n"), {})
    assert codes(problems) == ["voices-bad-value"]
    assert voices["S"].id == "heart"


def test_unknown_voice_is_an_error_naming_the_key_and_falls_back() -> None:
    voices, problems = assign_voices(episode(), {"S": "joe-hihg"}, config_line=12)
    assert codes(problems) == ["voices-unknown-voice"]
    problem = problems[0]
    assert problem.severity == "error" and problem.path == "amacast.toml" and problem.line == 12
    assert "voices.S" in problem.message and "joe-hihg" in problem.message
    assert problem.hint == "did you mean 'joe-high'? (`amacast voices` lists them all)"
    assert voices["S"].id == "heart"


def test_wrong_types_are_reported() -> None:
    _, problems = assign_voices(episode(), {"S": 3, "participants": [], "narrator": ["joe"]})
    assert codes(problems) == ["voices-bad-value", "voices-bad-value", "voices-bad-value"]
    messages = " ".join(p.message for p in problems)
    assert (
        "voices.S" in messages
        and "voices.participants" in messages
        and "voices.narrator" in messages
    )


def test_unknown_engine_is_an_error() -> None:
    voices, problems = assign_voices(episode(), {}, engine="espeak")
    assert codes(problems) == ["voices-unknown-engine"]
    assert voices["S"].id == "heart" and voices["H"].engine == "piper"


def test_custom_voices_extend_the_palette(tmp_path: Path) -> None:
    model = tmp_path / "en_GB-alan-medium.onnx"
    model.write_bytes(b"onnx")
    (tmp_path / "en_GB-alan-medium.onnx.json").write_text("{}")
    table = {
        "S": "alan",
        "H": "bright",
        "custom": {
            "alan": {"model": str(model), "pitch": 1.05},
            "bright": {"base": "joe-high", "tempo": 1.1, "options": {"noise_scale": 0.3}},
        },
    }
    voices, problems = assign_voices(episode(), table)
    assert problems == []
    assert voices["S"] == Voice("alan", "piper", model=str(model), pitch=1.05)
    assert voices["H"] == Voice(
        "bright", "piper", pitch=1.12, tempo=1.1, options=(("noise_scale", "0.3"),)
    )
    assert voice_named("alan", table) == voices["S"]


def test_bad_custom_voices_are_reported_by_key(tmp_path: Path) -> None:
    table = {
        "custom": {
            "a": {"pitch": 3},
            "b": {"engine": "espeak"},
            "c": {"model": str(tmp_path / "missing.onnx")},
            "d": {"base": "joe", "colour": "blue"},
            "e": "joe",
        },
        "S": "a",
    }
    _, problems = assign_voices(episode(), table)
    found = {(p.code, p.message.split(":")[0]) for p in problems}
    assert ("voices-bad-value", "voices.custom.a.pitch") in found
    assert ("voices-unknown-engine", "voices.custom.b.engine") in found
    assert ("voices-missing-model", "voices.custom.c.model") in found
    assert ("voices-unknown-key", "voices.custom.d.colour") in found
    assert ("voices-bad-value", "voices.custom.e") in found
    assert ("voices-unknown-voice", "voices.S") in found


def test_voice_named_and_describe() -> None:
    assert voice_named("joe-high") is PALETTE["joe-high"]
    assert voice_named("nobody") is None
    assert describe(PALETTE["joe-high"]) == "pitch 1.12"
    assert describe(PALETTE["gtts-uk"]) == "lang en, tld co.uk"


@pytest.mark.parametrize("suffix", [".wav", ".mp3"])
def test_write_sample_writes_decodable_audio(tmp_path: Path, suffix: str) -> None:
    import numpy as np
    from pitch import median_pitch

    from amacast.audio.engines.base import PCM
    from amacast.audio.engines.gtts import decode_mp3

    tone = np.sin(2 * np.pi * 200 * np.arange(22050) / 22050).astype(np.float32) * 0.5
    path = tmp_path / f"sample{suffix}"
    write_sample(PCM(tone, 22050), path)
    head = path.read_bytes()[:4]
    if suffix == ".wav":
        assert head == b"RIFF"
    else:
        assert head[:3] == b"ID3" or head[0] == 0xFF
    decoded = decode_mp3(path.read_bytes(), 22050)  # ffmpeg reads WAV as well
    assert abs(decoded.duration - 1.0) < 0.1
    assert median_pitch(decoded) == pytest.approx(200, rel=0.02)


def test_front_matter_role_defaults_beat_the_tables() -> None:
    extra = "voices:\n  guest: gtts-za\n  participants: [gtts-ca]\n"
    table = {"guest": "joe-high", "participants": ["joe"]}
    voices, problems = assign_voices(episode(extra), table)
    assert problems == []
    assert voices["S"].id == "gtts-za"
    assert {voices[c].id for c in ("P1", "P2", "P3")} == {"gtts-ca"}
