"""Augmentations of a Score: `aug(score, rng: random.Random) -> Score`, plus their deterministic forms.

* `transpose`: a shift of up to +-`MAX_SEMITONES`, drawn among the shifts that keep every pitched
  note in 0..127 (the score is returned unchanged when no shift fits); drum notes never move.
* `scale_velocity`: velocities times a factor in `VELOCITY_FACTORS`, rounded, kept in 1..127.
* `change_tempo`: every tempo times a factor in `TEMPO_FACTORS` (playback speed only: note
  positions in beats, and so the tokens but for `Tempo_*`, do not change).
"""

from __future__ import annotations

import random

from polyseq import PolyseqError
from polyseq_midi.score import DEFAULT_TEMPO, Score, Tempo

MAX_SEMITONES = 6
VELOCITY_FACTORS = (0.8, 1.2)
TEMPO_FACTORS = (0.85, 1.15)
_MAX_TEMPO = 0xFFFFFF  # a MIDI set_tempo holds 24 bits


def _check(score: Score, what: str) -> None:
    if not isinstance(score, Score):
        raise PolyseqError(f"midi augmentation {what!r} takes a polyseq_midi Score, got {type(score).__name__}")


def transpose_by(score: Score, semitones: int) -> Score:
    """Pitched notes moved by `semitones`; a result outside 0..127 is an error."""
    _check(score, "transpose")
    notes = [n if n.drum else n._replace(pitch=n.pitch + semitones) for n in score.notes]
    bad = [n for n in notes if not 0 <= n.pitch <= 127]
    if bad:
        raise PolyseqError(f"transposing by {semitones} moves note {bad[0]} outside 0..127")
    return Score(tuple(notes), score.ticks_per_beat, score.tempos, score.time_signatures)


def transpose(score: Score, rng: random.Random) -> Score:
    _check(score, "transpose")
    pitches = [n.pitch for n in score.notes if not n.drum]
    if not pitches:
        return score
    low, high = max(-MAX_SEMITONES, -min(pitches)), min(MAX_SEMITONES, 127 - max(pitches))
    shifts = [s for s in range(low, high + 1) if s != 0]
    return transpose_by(score, rng.choice(shifts)) if shifts else score


def velocity_scaled(score: Score, factor: float) -> Score:
    _check(score, "velocity")
    notes = tuple(n._replace(velocity=min(127, max(1, round(n.velocity * factor)))) for n in score.notes)
    return Score(notes, score.ticks_per_beat, score.tempos, score.time_signatures)


def scale_velocity(score: Score, rng: random.Random) -> Score:
    return velocity_scaled(score, rng.uniform(*VELOCITY_FACTORS))


def tempo_scaled(score: Score, factor: float) -> Score:
    """Played `factor` times faster (tempo events divided by it; a score without any gets one at 0)."""
    _check(score, "tempo")
    tempos = score.tempos or (Tempo(0, DEFAULT_TEMPO),)
    scaled = tuple(Tempo(t.time, min(_MAX_TEMPO, max(1, round(t.tempo / factor)))) for t in tempos)
    return Score(score.notes, score.ticks_per_beat, scaled, score.time_signatures)


def change_tempo(score: Score, rng: random.Random) -> Score:
    return tempo_scaled(score, rng.uniform(*TEMPO_FACTORS))
