"""The midi domain: conformance kit, tokenizer specifics, round-trip properties on random scores."""

from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import polyseq
from polyseq import ConfigError, PolyseqError
from polyseq.testing import DomainChecks
from polyseq_midi.examples import EXAMPLES
from polyseq_midi.score import Note, Score, Tempo, TimeSig
from polyseq_midi.tokenizers import MIDILike, REMI, REMIBPE


class TestConformance(DomainChecks):
    domain = "midi"
    rejects_unknown = {
        name: "a pitch outside 0..127 is no MIDI note: encode raises a PolyseqError naming it"
        for name in ("remi", "midilike", "remi_bpe")
    }

    @pytest.fixture
    def unknown_sample(self):
        return Score(notes=(Note(0, 480, 200, 80),))  # pitch 200: no MIDI pitch, a PolyseqError

    @pytest.fixture
    def invalid_sample(self):
        return Score(notes=(Note(0, 0, 60, 80),))  # zero duration: no note-off after the note-on


# ---- tokens, options, normal form -------------------------------------------------------------


def test_tokens_read_type_value():
    toks = REMI(programs=False).tokens(EXAMPLES[0])
    assert toks[:8] == ["Bar", "TimeSig_4/4", "Position_0", "Tempo_120", "Pitch_60", "Velocity_79", "Duration_12",
                        "Position_12"]
    assert toks.count("Bar") == 2
    midi = MIDILike(programs=False).tokens(EXAMPLES[0])
    assert midi[:6] == ["TimeSig_4/4", "Tempo_120", "Velocity_79", "NoteOn_60", "TimeShift_12", "NoteOff_60"]


def test_programs_and_drums_become_program_tokens():
    toks = REMI().tokens(EXAMPLES[2])
    assert "Program_-1" in toks and "Program_73" in toks and "Program_33" in toks
    decoded = REMI().decode(REMI().encode(EXAMPLES[2]))
    assert {n.program for n in decoded.notes if not n.drum} == {33, 73}
    assert sum(n.drum for n in decoded.notes) == sum(n.drum for n in EXAMPLES[2].notes)
    flat = REMI(programs=False).normalize(EXAMPLES[2])
    assert {(n.program, n.drum) for n in flat.notes} == {(0, False)}


def test_normal_form_quantises_to_grid_and_bins():
    score = Score(notes=(Note(130, 50, 60, 100), Note(0, 20_000, 62, 1)), ticks_per_beat=480,
                  tempos=(Tempo(0, 600_000), Tempo(250, 600_001)), time_signatures=(TimeSig(0, 3, 4),))
    norm = REMI(resolution=4, velocity_bins=8, max_duration=2).normalize(score)
    assert norm.ticks_per_beat == 4
    assert norm.notes == (Note(0, 8, 62, 16), Note(1, 1, 60, 95))  # 130/120 -> 1 step; 20000 ticks clipped to 2 beats
    assert norm.tempos == (Tempo(0, 600_000),)  # 100 bpm twice: the repeat is dropped
    assert norm.time_signatures == (TimeSig(0, 3, 4),)


def test_time_signature_change_moves_to_the_next_bar_line():
    notes = tuple(Note(i * 480, 480, 60, 64) for i in range(12))
    score = Score(notes=notes, time_signatures=(TimeSig(0, 3, 4), TimeSig(480 * 4, 2, 4), TimeSig(480 * 11, 4, 4)))
    norm = REMI(resolution=2).normalize(score)
    # 2/4 at beat 4 moves to the bar line at beat 6; 4/4 comes after the last onset and is dropped
    assert norm.time_signatures == (TimeSig(0, 3, 4), TimeSig(12, 2, 4))
    assert REMI(resolution=2).decode(REMI(resolution=2).encode(score)) == norm


def test_midilike_pairs_note_offs_fifo():
    # nested notes of one pitch: NOTE_OFF cannot say which one ends, FIFO re-pairs them
    score = Score(notes=(Note(0, 8, 60, 64), Note(2, 2, 60, 64)), ticks_per_beat=4)
    tok = MIDILike(resolution=4)
    assert tok.normalize(score).notes == (Note(0, 4, 60, 64), Note(2, 6, 60, 64))
    assert tok.decode(tok.encode(score)) == tok.normalize(score)
    assert REMI(resolution=4).normalize(score).notes == (Note(0, 8, 60, 64), Note(2, 2, 60, 64))  # REMI keeps them


def test_long_gaps_take_several_time_shifts():
    score = Score(notes=(Note(0, 1, 60, 64), Note(100, 1, 62, 64)), ticks_per_beat=4)
    tok = MIDILike(resolution=4, programs=False)
    toks = tok.tokens(score)
    assert toks.count("TimeShift_16") == 6 and "TimeShift_3" in toks
    assert tok.decode(tok.encode(score)) == tok.normalize(score)


def test_decode_tolerates_any_ids():
    for tok in (REMI(), MIDILike()):
        ids = list(range(tok.vocab_size)) * 2 + [0, 1, 99999, -3]
        score = tok.decode(ids)
        assert isinstance(score, Score)
        assert polyseq.get_domain("midi").part("validator")(score) is None


@pytest.mark.parametrize("options, key", [
    ({"resolution": 0}, "resolution"), ({"velocity_bins": 128}, "velocity_bins"),
    ({"max_duration": "8"}, "max_duration"), ({"programs": 1}, "programs"),
], ids=["resolution", "velocity_bins", "max_duration", "programs"])
def test_options_are_validated(options, key):
    for name in ("remi", "midilike", "remi_bpe"):
        with pytest.raises(ConfigError, match=key) as info:
            polyseq.get_domain("midi").make_tokenizer(name, **options)
        assert repr(next(iter(options.values()))) in str(info.value)


def test_remi_bpe_vocab_size_is_validated_and_merges_tokens():
    with pytest.raises(ConfigError, match="vocab_size"):
        REMIBPE(vocab_size=10)
    tok = _bpe()
    assert tok.vocab_size > REMI().vocab_size
    assert len(tok.encode(EXAMPLES[2])) < len(REMI().encode(EXAMPLES[2]))
    assert any("+" in t for t in tok.tokens(EXAMPLES[2]))
    with pytest.raises(PolyseqError, match="call train"):
        REMIBPE().encode(EXAMPLES[0])


def test_encode_rejects_what_is_not_a_score():
    with pytest.raises(PolyseqError, match="Score"):
        REMI().encode("C D E")
    with pytest.raises(PolyseqError, match="velocity"):
        REMI().encode(Score(notes=(Note(0, 1, 60, 0),)))


# ---- properties on random scores --------------------------------------------------------------

TOKENIZERS = [REMI(), REMI(resolution=4, velocity_bins=8, max_duration=2, programs=False),
              MIDILike(), MIDILike(resolution=1, velocity_bins=127, max_duration=1), REMI(resolution=24)]
IDS = ["remi", "remi-coarse", "midilike", "midilike-r1", "remi-r24"]

notes = st.builds(Note, st.integers(0, 6000), st.integers(0, 3000), st.integers(0, 127), st.integers(1, 127),
                  st.integers(0, 127), st.booleans())
signatures = st.sampled_from([(4, 4), (3, 4), (6, 8), (2, 2), (7, 8), (5, 16), (9, 4), (3, 5), (1, 1)])
scores = st.builds(
    Score,
    notes=st.lists(notes, max_size=40).map(tuple),
    ticks_per_beat=st.sampled_from([1, 96, 100, 480, 1024]),
    tempos=st.lists(st.builds(Tempo, st.integers(0, 6000), st.integers(100_000, 4_000_000)), max_size=4).map(tuple),
    time_signatures=st.lists(st.builds(lambda t, s: TimeSig(t, *s), st.integers(0, 6000), signatures),
                             max_size=4).map(tuple),
)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@lru_cache(maxsize=None)
def _bpe() -> REMIBPE:
    tok = REMIBPE()
    tok.train(list(EXAMPLES) * 3)
    return tok


@pytest.mark.parametrize("tok", TOKENIZERS, ids=IDS)
@FAST
@given(score=scores)
def test_round_trip_equals_normal_form_on_random_scores(tok, score):
    norm = tok.normalize(score)
    assert tok.decode(tok.encode(score)) == norm
    assert tok.normalize(norm) == norm  # idempotent
    assert polyseq.get_domain("midi").part("validator")(norm) is None


@FAST
@given(score=scores)
def test_remi_bpe_round_trip_on_random_scores(score):
    tok = _bpe()
    assert tok.decode(tok.encode(score)) == tok.normalize(score)


def _on_grid(tok):
    o = tok.options
    values = o.velocity_values.tolist()
    note = st.builds(Note, st.integers(0, 40 * o.resolution), st.integers(1, o.max_steps), st.integers(0, 127),
                     st.sampled_from(values), st.integers(0, 127) if o.programs else st.just(0),
                     st.just(False))
    return st.lists(note, min_size=1, max_size=30).map(
        lambda ns: Score(notes=tuple(ns), ticks_per_beat=o.resolution, tempos=(Tempo(0, 500_000),),
                         time_signatures=(TimeSig(0, 4, 4),)))


@pytest.mark.parametrize("tok", [REMI(), REMI(resolution=4, velocity_bins=8, programs=False)], ids=["remi", "coarse"])
@FAST
@given(data=st.data())
def test_scores_on_the_grid_survive_exactly(tok, data):
    score = data.draw(_on_grid(tok))
    assert tok.decode(tok.encode(score)).notes == score.notes


@FAST
@given(data=st.data())
def test_midilike_keeps_on_grid_scores_without_same_pitch_overlaps(data):
    tok = MIDILike()
    score = data.draw(_on_grid(tok))
    kept, last_end = [], {}
    for n in score.notes:  # drop notes that overlap an earlier one of the same pitch and program
        if last_end.get((n.program, n.pitch), -1) <= n.start:
            kept.append(n)
            last_end[(n.program, n.pitch)] = n.start + n.duration
    score = Score(tuple(kept), score.ticks_per_beat, score.tempos, score.time_signatures)
    assert tok.decode(tok.encode(score)).notes == score.notes
