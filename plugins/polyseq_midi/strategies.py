"""Scores for the conformance kit (`Domain.sample_strategy`); only the kit imports this module.

Up to 12 notes of any pitch, velocity, program and drum flag in two bars of 4/4 at 120 bpm, 480
ticks per beat. Onsets fall on the tokenizers' default grid (40 ticks: 12 steps a beat), durations
are any tick count up to four beats, so the kit checks quantisation of lengths too.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from polyseq_midi.score import Note, Score, Tempo, TimeSig

TICKS_PER_BEAT = 480
STEP = 40  # ticks per step of the default grid (resolution 12)


def valid_scores() -> Any:
    notes = st.builds(
        Note,
        start=st.integers(0, 96).map(lambda k: k * STEP),
        duration=st.integers(1, 48 * STEP),
        pitch=st.integers(0, 127),
        velocity=st.integers(1, 127),
        program=st.integers(0, 127),
        drum=st.booleans(),
    )
    return st.lists(notes, max_size=12).map(lambda ns: Score(
        notes=tuple(ns), ticks_per_beat=TICKS_PER_BEAT, tempos=(Tempo(0, 500_000),),
        time_signatures=(TimeSig(0, 4, 4),)))
