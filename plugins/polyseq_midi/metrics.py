"""Validity of a Score, and metrics on generated scores against a reference set.

`validate(score)` is None for a well-formed score, else the first problem found. Well-formed means
it converts to a valid MIDI file that plays every note and leaves none dangling: integer times
>= 0, durations >= 1 tick (so each note-off comes after its note-on), pitches 0..127, velocities
1..127, programs 0..127, tempos 1..2**24-1 microseconds per beat, time signatures with a
numerator 1..255 and a power-of-two denominator.

`metrics(samples, reference=None)`:
  well_formed            fraction of samples that pass `validate`;
  notes_per_sample       mean number of notes (well-formed samples);
  note_density           notes per beat, pooled over the well-formed samples with notes;
  pitch_class_distance   (with a reference) total-variation distance, in 0..1, between the
                         pitch-class histograms (drums excluded) of the samples and the reference;
  note_density_reference (with a reference) the reference's note density.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from polyseq_midi.score import Score


def validate(score: Any) -> str | None:
    if not isinstance(score, Score):
        return f"not a polyseq_midi Score but a {type(score).__name__}"
    tpb = score.ticks_per_beat
    if type(tpb) is not int or not 1 <= tpb <= 0x7FFF:
        return f"ticks_per_beat must be an integer in 1..32767, got {tpb!r}"
    for i, n in enumerate(score.notes):
        problem = _note_problem(n)
        if problem:
            return f"note #{i} {tuple(n)}: {problem}"
    for e in score.tempos:
        if type(e.time) is not int or e.time < 0 or type(e.tempo) is not int or not 1 <= e.tempo < 2**24:
            return f"tempo event {tuple(e)}: needs a time >= 0 and 1..16777215 microseconds per beat"
    for e in score.time_signatures:
        den = e.denominator
        if (type(e.time) is not int or e.time < 0 or type(e.numerator) is not int or not 1 <= e.numerator <= 255
                or type(den) is not int or den < 1 or den & (den - 1)):
            return f"time signature {tuple(e)}: needs a time >= 0, numerator 1..255, a power-of-two denominator"
    return None


def _note_problem(n: Any) -> str | None:
    start, duration, pitch, velocity, program, drum = n
    if not all(type(v) is int for v in (start, duration, pitch, velocity, program)) or type(drum) is not bool:
        return "fields must be integers (drum a bool)"
    if start < 0:
        return "start must be >= 0"
    if duration < 1:
        return "duration must be >= 1 tick (a zero-length note has no note-off after its note-on)"
    if not 0 <= pitch <= 127:
        return "pitch must be in 0..127"
    if not 1 <= velocity <= 127:
        return "velocity must be in 1..127"
    if not 0 <= program <= 127:
        return "program must be in 0..127"
    return None


def pitch_class_histogram(scores: Sequence[Score]) -> list[float]:
    counts = [0] * 12
    for s in scores:
        for n in s.notes:
            if not n.drum:
                counts[n.pitch % 12] += 1
    total = sum(counts)
    return [c / total for c in counts] if total else [0.0] * 12


def note_density(scores: Sequence[Score]) -> float:
    """Notes per beat, pooled: all notes over all beats (from 0 to each score's last note-off)."""
    notes = beats = 0.0
    for s in scores:
        if s.notes:
            notes += len(s.notes)
            beats += s.end / s.ticks_per_beat
    return notes / beats if beats else 0.0


def metrics(samples: Sequence[Any], reference: Sequence[Score] | None = None) -> dict[str, float]:
    samples = list(samples)
    good = [s for s in samples if validate(s) is None]
    out = {
        "well_formed": len(good) / len(samples) if samples else 0.0,
        "notes_per_sample": sum(len(s.notes) for s in good) / len(good) if good else 0.0,
        "note_density": note_density(good),
    }
    if reference is not None:
        reference = list(reference)
        p, q = pitch_class_histogram(good), pitch_class_histogram(reference)
        out["pitch_class_distance"] = 0.5 * sum(abs(a - b) for a, b in zip(p, q)) if sum(p) and sum(q) else 1.0
        out["note_density_reference"] = note_density(reference)
    return out
