"""The symusic parser gives mido's Score, token ids and errors, or hands the file to mido.

symusic is a dev dependency: imported plainly, so a missing install fails here instead of skipping.
"""

import io
import os
import random
import struct
import sys

import mido
import pytest
import symusic  # noqa: F401  (a dev dependency: the fast path under test)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import polyseq
from polyseq import BadRecord, BadRecordError, ReaderError, Record
from polyseq_midi.datasets import generate_scales
from polyseq_midi.examples import EXAMPLES
from polyseq_midi.io import example_files, read_midi
from polyseq_midi.score import Note, from_midi, to_midi
from polyseq_midi.symusic_backend import read_score

MIDI = polyseq.get_domain("midi")


def _both(path):
    """The records of `path` under mido and under symusic."""
    return list(read_midi(path, parser="mido")), list(read_midi(path, parser="symusic"))


def _save(midi, path):
    midi.save(str(path))
    return path


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """Every MIDI file polyseq generates offline: midi_scales, the kit's example files, the domain's examples."""
    root = tmp_path_factory.mktemp("shipped")
    (root / "scales").mkdir()
    generate_scales(root / "scales", seed=0)
    files = sorted((root / "scales").rglob("*.mid"))
    files += example_files(root)
    files += [_save(to_midi(s), root / f"example_{i}.mid") for i, s in enumerate(EXAMPLES)]
    return files


def test_shipped_files_read_to_equal_scores_through_symusic(shipped):
    assert len(shipped) == 96 + 2 + len(EXAMPLES)
    for path in shipped:
        assert read_score(path.read_bytes()) is not None, f"{path.name}: the fast path was not taken"
        by_mido, by_symusic = _both(path)
        assert by_symusic == by_mido and isinstance(by_mido[0], Record), path.name


@pytest.mark.parametrize("name", ["remi", "midilike", "remi_bpe"])
def test_shipped_files_give_equal_token_ids(shipped, name):
    scores = {p: [records[0].sample for records in _both(p)] for p in shipped}
    tokenizer = MIDI.make_tokenizer(name)
    if getattr(tokenizer, "trainable", False):
        tokenizer.train([s for s, _ in scores.values()], tokenizer.remi.vocab_size + 64)
    for path, (by_mido, by_symusic) in scores.items():
        assert tokenizer.encode(by_symusic) == tokenizer.encode(by_mido), path.name


def on(note, time=0, velocity=64, channel=0):
    return mido.Message("note_on", note=note, velocity=velocity, time=time, channel=channel)


def off(note, time=0, channel=0, velocity=0):
    return mido.Message("note_off", note=note, time=time, channel=channel, velocity=velocity)


def _file(tracks, path, type_=1, tpb=96):
    return _save(mido.MidiFile(type=type_, ticks_per_beat=tpb, tracks=[mido.MidiTrack(t) for t in tracks]), path)


def test_edge_cases_symusic_reads_itself(tmp_path):
    """Overlaps (FIFO), zero-length notes, velocity-0 note-offs, running status, drums, programs, tracks."""
    conductor = [mido.MetaMessage("set_tempo", tempo=400_000), mido.MetaMessage("set_tempo", tempo=300_000),
                 mido.MetaMessage("time_signature", numerator=3), mido.MetaMessage("key_signature", key="Bb")]
    melody = [mido.Message("program_change", program=40), on(60, velocity=10), on(60, 10, velocity=20),
              off(60, 10), off(60, 10), on(62), off(62), on(64, 5), on(64, 7, velocity=0), off(50, 3)]
    drums = [mido.MetaMessage("set_tempo", tempo=600_000), on(36, channel=9, velocity=100), off(36, 24, channel=9)]
    path = _file([conductor, melody, drums], tmp_path / "edges.mid")
    assert read_score(path.read_bytes()) is not None
    by_mido, by_symusic = _both(path)
    assert by_symusic == by_mido
    score = by_mido[0].sample
    assert score.notes == (Note(0, 20, 60, 10, 40), Note(0, 24, 36, 100, 0, True), Note(10, 20, 60, 20, 40),
                           Note(30, 1, 62, 64, 40), Note(35, 7, 64, 64, 40))
    assert [t.tempo for t in score.tempos] == [600_000]  # the last read of three at tick 0


@pytest.mark.parametrize("tracks", [
    pytest.param([[on(60), on(62, 10), off(62, 10)]], id="note never switched off"),
    pytest.param([[on(60), mido.Message("program_change", program=5, time=5), off(60, 5)]], id="program change mid-note"),
    pytest.param([[mido.Message("program_change", program=7)], [on(60), off(60, 10)]], id="program from another track"),
    pytest.param([[on(60), off(60, 10), mido.MetaMessage("smpte_offset")]], id="meta event symusic is not checked for"),
])
def test_what_symusic_would_read_otherwise_goes_to_mido(tmp_path, tracks):
    path = _file(tracks, tmp_path / "hard.mid")
    assert read_score(path.read_bytes()) is None
    by_mido, by_symusic = _both(path)
    assert by_symusic == by_mido


def _messages(draw, channels):
    messages = []
    for _ in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from(["on", "on", "off", "off", "zero", "program", "tempo", "sig", "other"]))
        time, ch, pitch = draw(st.integers(0, 40)), draw(st.sampled_from(channels)), draw(st.integers(58, 62))
        if kind == "on":
            messages.append(on(pitch, time, draw(st.integers(1, 127)), ch))
        elif kind in ("off", "zero"):
            messages.append(off(pitch, time, ch) if kind == "off" else on(pitch, time, 0, ch))
        elif kind == "program":
            messages.append(mido.Message("program_change", program=draw(st.integers(0, 127)), channel=ch, time=time))
        elif kind == "tempo":
            messages.append(mido.MetaMessage("set_tempo", tempo=draw(st.integers(1, 2**24 - 1)), time=time))
        elif kind == "sig":
            messages.append(mido.MetaMessage("time_signature", numerator=draw(st.integers(1, 12)),
                                             denominator=draw(st.sampled_from([2, 4, 8])), time=time))
        else:  # events both parsers skip, symusic in C++ and the census in Python
            messages.append(draw(st.sampled_from([
                mido.Message("control_change", control=7, value=100, channel=ch, time=time),
                mido.Message("pitchwheel", pitch=-300, channel=ch, time=time),
                mido.Message("aftertouch", value=3, channel=ch, time=time),
                mido.Message("polytouch", note=60, value=3, channel=ch, time=time),
                mido.Message("sysex", data=[0x7E, 0x7F, 0x09, 0x01], time=time),
                mido.MetaMessage("track_name", name="violin \u00e9", time=time),
                mido.MetaMessage("key_signature", key="F#m", time=time),
                mido.MetaMessage("marker", text="A", time=time),
            ])))
    return messages


@st.composite
def midi_files(draw):
    type_ = draw(st.sampled_from([0, 1]))
    channels = draw(st.lists(st.sampled_from([0, 1, 9]), min_size=1, max_size=2, unique=True))
    tracks = [_messages(draw, channels) for _ in range(1 if type_ == 0 else draw(st.integers(1, 3)))]
    return type_, draw(st.sampled_from([96, 480, 1024])), tracks


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(midi_files())
def test_generated_files_read_equal_under_both_parsers(tmp_path, spec):
    type_, tpb, tracks = spec
    path = _file(tracks, tmp_path / "gen.mid", type_=type_, tpb=tpb)
    by_mido, by_symusic = _both(path)
    assert by_symusic == by_mido


def test_generated_files_mostly_take_the_fast_path(tmp_path):
    """Not a vacuous property: the files above are mostly read by symusic, not handed to mido."""
    taken = 0
    for seed in range(60):
        rng = random.Random(seed)
        tracks = [[m for i in range(rng.randrange(1, 12)) for m in (on(60 + i % 5, rng.randrange(20)),
                                                                       off(60 + i % 5, rng.randrange(20)))]]
        data = _file(tracks, tmp_path / "fast.mid").read_bytes()
        if (score := read_score(data)) is not None:
            taken += 1
            assert score == from_midi(mido.MidiFile(file=io.BytesIO(data)))
    assert taken >= 50


def _broken(tmp_path):
    good = _file([[on(60), off(60, 10), on(64, 5), off(64, 10)]], tmp_path / "good.mid").read_bytes()
    rng = random.Random(0)
    cases = {f"truncated_{n}": good[:n] for n in (3, 14, 20, 25, len(good) - 1)}
    cases |= {f"random_{i}": bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))) for i in range(5)}
    cases["header_then_random"] = good[:22] + bytes(rng.randrange(256) for _ in range(40))
    cases["data_byte_over_127"] = good.replace(bytes([0x90, 60]), bytes([0x90, 200]), 1)
    for name, data in cases.items():
        (tmp_path / f"{name}.mid").write_bytes(data)
    return sorted(tmp_path.glob("*.mid"))


def test_broken_files_are_the_same_bad_record_naming_the_file(tmp_path):
    for path in _broken(tmp_path):
        if path.name == "good.mid":
            continue
        by_mido, by_symusic = _both(path)
        assert by_symusic == by_mido and isinstance(by_symusic[0], BadRecord), path.name
        assert by_symusic[0].meta["source"] == str(path)
        with pytest.raises(BadRecordError, match=path.name):
            list(MIDI.read(path, strict=True, parser="symusic"))


def test_parser_choice_env_and_errors(tmp_path, monkeypatch):
    path = _file([[on(60), off(60, 10)]], tmp_path / "one.mid")
    monkeypatch.setenv("POLYSEQ_MIDI_PARSER", "mido")
    assert list(read_midi(path)) == list(read_midi(path, parser="symusic"))
    monkeypatch.setenv("POLYSEQ_MIDI_PARSER", "fastest")
    with pytest.raises(ReaderError, match=r"one\.mid: unknown MIDI parser 'fastest' \(from POLYSEQ_MIDI_PARSER\)"):
        list(read_midi(path))
    monkeypatch.delenv("POLYSEQ_MIDI_PARSER")
    monkeypatch.setitem(sys.modules, "symusic", None)  # as if not installed
    assert list(read_midi(path)) == list(read_midi(path, parser="mido"))  # auto: mido
    with pytest.raises(ReaderError, match="MIDI parser 'symusic' .* is not installed"):
        list(read_midi(path, parser="symusic"))
    assert os.environ.get("POLYSEQ_MIDI_PARSER") is None


def test_running_status_written_by_hand_reads_alike(tmp_path):
    events = bytes([0x00, 0x90, 60, 80, 0x00, 62, 81, 0x60, 60, 0, 0x30, 62, 0, 0x00, 0xFF, 0x2F, 0x00])
    data = b"MThd" + struct.pack(">IHHH", 6, 0, 1, 96) + b"MTrk" + struct.pack(">I", len(events)) + events
    path = tmp_path / "running.mid"
    path.write_bytes(data)
    assert read_score(data) is not None
    by_mido, by_symusic = _both(path)
    assert by_symusic == by_mido
    assert by_mido[0].sample.notes == (Note(0, 96, 60, 80), Note(0, 144, 62, 81))
