"""Speaking a sentence in pieces, and pitch as a resampling ratio: shared by the engines.

A neural engine speaks a sentence best whole, but memory grows with its
length; these split a sentence's phonemes at phrase or word breaks, join the
spoken pieces without gaps or clicks, and turn a pitch factor into the small
fraction the resampler uses.  Imports nothing of amacast but the engines' base.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from amacast.audio.engines.base import EngineError
from amacast.model import Voice

# Phonemes after which a sentence may be split with a phrase's intonation.
PHRASE_BREAKS = frozenset(",;:\u2014\u2013")
WORD_BREAK = " "
# A piece of a sentence split between words ends with Piper's end-of-sentence
# silence (~0.15-0.2 s); it is cut to this much, with a short fade, so that the
# words still flow.
WORD_JOIN_SILENCE = 0.03
FADE_SECONDS = 0.01
# Below this fraction of the piece's peak a sample counts as silence.
SILENCE_FRACTION = 0.01
_MAX_DENOMINATOR = 50


def pitch_ratio(pitch: float) -> Fraction:
    """The pitch factor as a small fraction, the resampling ratio actually used."""
    if not 0.25 <= pitch <= 4.0:
        raise EngineError(f"pitch factor {pitch} is outside 0.25..4")
    return Fraction(pitch).limit_denominator(_MAX_DENOMINATOR)


def voice_ratio(voice: Voice) -> Fraction:
    """The pitch factor of ``voice`` (:func:`pitch_ratio`), after checking its tempo is positive."""
    if voice.tempo <= 0:
        raise EngineError(f"voice {voice.id!r}: tempo must be positive, not {voice.tempo}")
    return pitch_ratio(voice.pitch)


def split_phonemes(phonemes: Sequence[str], limit: int) -> list[tuple[list[str], bool]]:
    """A sentence's phonemes in pieces of at most ``limit``, each with whether it ends a phrase.

    A piece ends at the last phrase break (``,`` ``;`` ``:`` or a dash) that
    leaves it at least a third of the limit long; without one, at the word
    break that best evens out the pieces still needed; a single word longer
    than the limit is cut at the limit.  The break's space is dropped; the
    last piece ends the sentence (``True``).
    """
    if limit < 1:
        raise ValueError(f"limit must be positive, not {limit}")
    rest = list(phonemes)
    pieces: list[tuple[list[str], bool]] = []
    while len(rest) > limit:
        shortest = max(1, limit // 3)
        phrase = [index for index in range(shortest - 1, limit) if rest[index] in PHRASE_BREAKS]
        if phrase:
            cut, phrase_end = phrase[-1] + 1, True
        else:
            count = -(-len(rest) // limit)
            target = len(rest) / count
            words = [index for index in range(1, limit + 1) if rest[index] == WORD_BREAK]
            # The space nearest an even share; a word longer than the limit is cut.
            cut = min(words, key=lambda index: (abs(index - target), -index)) if words else limit
            phrase_end = False
        piece = rest[:cut]
        rest = rest[cut:]
        while piece and piece[-1] == WORD_BREAK:
            piece.pop()
        while rest and rest[0] == WORD_BREAK:
            rest.pop(0)
        if piece:
            pieces.append((piece, phrase_end))
    if rest:
        pieces.append((rest, True))
    return pieces


def join_pieces(
    pieces: Sequence[tuple[npt.NDArray[np.float32], bool]], sample_rate: int
) -> npt.NDArray[np.float32]:
    """Concatenate spoken pieces; a piece cut between words loses most of its trailing silence.

    ``pieces`` pairs audio with whether it ends a phrase or sentence (then it
    keeps Piper's own pause).  Otherwise its silence is cut to
    :data:`WORD_JOIN_SILENCE` and faded out over :data:`FADE_SECONDS`, so the
    join has neither a long gap nor a click.
    """
    keep = int(WORD_JOIN_SILENCE * sample_rate)
    fade = int(FADE_SECONDS * sample_rate)
    parts: list[npt.NDArray[np.float32]] = []
    for audio, phrase_end in pieces:
        if not phrase_end and audio.size:
            loud = np.flatnonzero(np.abs(audio) > SILENCE_FRACTION * float(np.max(np.abs(audio))))
            end = min(audio.size, int(loud[-1]) + 1 + keep) if loud.size else audio.size
            audio = audio[:end].copy()
            span = min(fade, audio.size)
            if span:
                audio[-span:] *= np.linspace(1.0, 0.0, span, dtype=np.float32)
        parts.append(audio)
    if not parts:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(parts)
