"""Augmentations, validator and metrics of the midi domain."""

import random

import pytest

import polyseq
from polyseq import PolyseqError
from polyseq.domain import resolve
from polyseq_midi.augment import tempo_scaled, transpose_by, velocity_scaled
from polyseq_midi.examples import EXAMPLES
from polyseq_midi.metrics import metrics, pitch_class_histogram, validate
from polyseq_midi.score import Note, Score, Tempo, TimeSig

MIDI = polyseq.get_domain("midi")
BAND = EXAMPLES[2]


def _aug(name):
    return resolve(MIDI.augmentations[name], f"midi augmentation {name}")


def test_transpose_moves_pitched_notes_only_and_stays_in_range():
    aug = _aug("transpose")
    for seed in range(20):
        out = aug(BAND, random.Random(seed))
        shifts = {b.pitch - a.pitch for a, b in zip(_pitched(BAND), _pitched(out))}
        assert len(shifts) == 1 and 0 < abs(shifts.pop()) <= 6
        assert [n for n in out.notes if n.drum] == [n for n in BAND.notes if n.drum]
    edge = Score(notes=(Note(0, 10, 127, 64), Note(0, 10, 121, 64)))
    for seed in range(20):
        assert all(n.pitch <= 127 for n in aug(edge, random.Random(seed)).notes)
    stuck = Score(notes=(Note(0, 10, 0, 64), Note(0, 10, 127, 64)))
    assert aug(stuck, random.Random(0)) == stuck  # no shift fits
    with pytest.raises(PolyseqError, match="outside 0..127"):
        transpose_by(stuck, 1)


def _pitched(score):
    return sorted((n for n in score.notes if not n.drum), key=lambda n: (n.start, n.program, n.duration, n.velocity))


def test_velocity_scaling_and_tempo_change():
    loud = velocity_scaled(BAND, 1.5)
    assert all(1 <= n.velocity <= 127 for n in loud.notes) and max(n.velocity for n in loud.notes) == 127
    fast = tempo_scaled(BAND, 1.25)
    assert fast.notes == BAND.notes and [t.tempo for t in fast.tempos] == [360_000, 400_000]
    assert tempo_scaled(Score(notes=BAND.notes[:1]), 2.0).tempos == (Tempo(0, 250_000),)
    for name in ("velocity", "tempo"):
        aug = _aug(name)
        out = aug(BAND, random.Random(1))
        assert validate(out) is None and out != BAND
        assert aug(BAND, random.Random(1)) == out  # the rng is the only source of randomness


@pytest.mark.parametrize("score, problem", [
    (Score(notes=(Note(0, 0, 60, 64),)), "duration"),
    (Score(notes=(Note(0, 1, 128, 64),)), "pitch"),
    (Score(notes=(Note(-1, 1, 60, 64),)), "start"),
    (Score(notes=(Note(0, 1, 60, 0),)), "velocity"),
    (Score(notes=(Note(0, 1, 60, 1, 128),)), "program"),
    (Score(notes=(Note(0, 1.5, 60, 64),)), "integers"),
    (Score(ticks_per_beat=0), "ticks_per_beat"),
    (Score(tempos=(Tempo(0, 0),)), "tempo"),
    (Score(time_signatures=(TimeSig(0, 3, 5),)), "power-of-two"),
    ("C E G", "not a polyseq_midi Score"),
], ids=["duration", "pitch", "start", "velocity", "program", "float", "tpb", "tempo", "timesig", "string"])
def test_validator_names_the_problem(score, problem):
    assert problem in validate(score)


def test_metrics_against_a_reference():
    reference = list(EXAMPLES)
    same = metrics(reference, reference)
    assert same["well_formed"] == 1.0 and same["pitch_class_distance"] == 0.0
    assert same["note_density"] == pytest.approx(same["note_density_reference"])
    scale = EXAMPLES[0]
    assert metrics([scale])["note_density"] == pytest.approx(1.0)  # 8 quarter notes in 8 beats
    bad = Score(notes=(Note(0, 0, 60, 64),))
    shifted = transpose_by(scale, 1)
    out = metrics([shifted, bad], [scale])
    assert out["well_formed"] == 0.5
    assert 0 < out["pitch_class_distance"] <= 1
    assert sum(pitch_class_histogram([scale])) == pytest.approx(1.0)
    assert metrics([])["well_formed"] == 0.0
