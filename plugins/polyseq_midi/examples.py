"""A few scores built in code: the domain's examples (no data file, no mido, no numpy needed).

* a C major scale (quarter notes, 4/4, 120 bpm);
* chords in 3/4 over a held pedal C that the chords strike again (overlapping notes of one pitch);
* a band: flute melody slightly off the grid, bass, and a drum track, with a tempo change and a
  6/8 -> 4/4 time-signature change.
"""

from __future__ import annotations

from polyseq_midi.score import Note, Score, Tempo, TimeSig

TPB = 480


def _scale() -> Score:
    pitches = [60, 62, 64, 65, 67, 69, 71, 72]
    notes = [Note(i * TPB, TPB, p, 80) for i, p in enumerate(pitches)]
    return Score(notes=tuple(notes), ticks_per_beat=TPB, tempos=(Tempo(0, 500_000),),
                 time_signatures=(TimeSig(0, 4, 4),))


def _chords() -> Score:
    bar = 3 * TPB
    triads = [(60, 64, 67), (60, 65, 69), (59, 62, 67), (60, 64, 67)]
    notes = [Note(0, 4 * bar, 48, 70, 0)]  # pedal
    for i, triad in enumerate(triads):
        notes += [Note(i * bar, 2 * TPB, p, 64 + 8 * j, 0) for j, p in enumerate(triad)]
    notes += [Note(bar, 2 * bar, 48, 90, 0), Note(2 * bar + TPB, TPB // 2, 48, 50, 0)]  # pedal struck again
    return Score(notes=tuple(notes), ticks_per_beat=TPB, tempos=(Tempo(0, 666_667),),
                 time_signatures=(TimeSig(0, 3, 4),))


def _band() -> Score:
    eighth = TPB // 2
    melody = [67, 69, 71, 72, 74, 72, 71, 69, 67, 71, 74, 79]
    notes = [Note(i * eighth + (7 if i % 2 else 0), eighth - 10, p, 70 + 3 * (i % 5), 73)
             for i, p in enumerate(melody)]
    notes += [Note(i * 3 * eighth, 3 * eighth, p, 96, 33) for i, p in enumerate([43, 38, 43, 36])]
    for i in range(12):
        notes.append(Note(i * eighth, 60, 42, 60, 0, True))  # closed hi-hat
        if i % 3 == 0:
            notes.append(Note(i * eighth, 60, 36 if i % 6 == 0 else 38, 110, 0, True))
    later = 6 * TPB  # two bars of 6/8, then 4/4
    notes += [Note(later + i * TPB, TPB, p, 85, 73) for i, p in enumerate([79, 78, 76, 74])]
    notes += [Note(later + i * TPB, TPB, 36 if i % 2 == 0 else 38, 100, 0, True) for i in range(4)]
    return Score(notes=tuple(notes), ticks_per_beat=TPB, tempos=(Tempo(0, 450_000), Tempo(later, 500_000)),
                 time_signatures=(TimeSig(0, 6, 8), TimeSig(later, 4, 4)))


EXAMPLES: tuple[Score, ...] = (_scale(), _chords(), _band())
