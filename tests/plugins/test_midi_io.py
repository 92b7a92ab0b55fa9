"""MIDI files through mido: edge cases of reading, writing, decoding to a file, reader errors."""

import struct

import mido
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import polyseq
from polyseq import BadRecordError, ReadReport, ReaderError
from polyseq_midi.examples import EXAMPLES
from polyseq_midi.io import read_midi, write_midi
from polyseq_midi.score import Note, Score, Tempo, TimeSig, from_midi, to_midi

MIDI = polyseq.get_domain("midi")


def _file(tracks, tmp_path, name="song.mid", type_=1, tpb=96):
    midi = mido.MidiFile(type=type_, ticks_per_beat=tpb)
    for messages in tracks:
        midi.tracks.append(mido.MidiTrack(messages))
    path = tmp_path / name
    midi.save(str(path))
    return path


def _read(path):
    return [r.sample for r in MIDI.read(path)]


def on(note, time=0, velocity=64, channel=0):
    return mido.Message("note_on", note=note, velocity=velocity, time=time, channel=channel)


def off(note, time=0, channel=0):
    return mido.Message("note_off", note=note, time=time, channel=channel)


def test_type0_channels_programs_and_drums(tmp_path):
    path = _file([[
        mido.Message("program_change", channel=1, program=40),
        on(60, channel=0), on(64, channel=1), on(36, channel=9, velocity=100),
        off(36, 24, channel=9), off(60, 72, channel=0), off(64, 0, channel=1),
    ]], tmp_path, type_=0)
    (score,) = _read(path)
    assert score.ticks_per_beat == 96
    assert set(score.notes) == {Note(0, 96, 60, 64, 0), Note(0, 96, 64, 64, 40), Note(0, 24, 36, 100, 0, True)}


def test_type1_tracks_tempo_and_time_signature_changes(tmp_path):
    conductor = [mido.MetaMessage("set_tempo", tempo=500_000), mido.MetaMessage("time_signature", numerator=3),
                 mido.MetaMessage("set_tempo", tempo=400_000, time=288),
                 mido.MetaMessage("time_signature", numerator=6, denominator=8)]
    melody = [on(72), off(72, 96), on(74, 192), off(74, 96)]
    bass = [mido.Message("program_change", program=33, channel=2), on(40, channel=2), off(40, 384, channel=2)]
    (score,) = _read(_file([conductor, melody, bass], tmp_path))
    assert score.notes == (Note(0, 96, 72, 64), Note(0, 384, 40, 64, 33), Note(288, 96, 74, 64))
    assert score.tempos == (Tempo(0, 500_000), Tempo(288, 400_000))
    assert score.time_signatures == (TimeSig(0, 3, 4), TimeSig(288, 6, 8))


def test_running_status_and_zero_velocity_note_offs(tmp_path):
    # one track written by hand: 0x90 once, then running status; velocity 0 ends a note
    events = bytes([0x00, 0x90, 60, 80, 0x00, 62, 81, 0x60, 60, 0, 0x30, 62, 0, 0x00, 0xFF, 0x2F, 0x00])
    data = b"MThd" + struct.pack(">IHHH", 6, 0, 1, 96) + b"MTrk" + struct.pack(">I", len(events)) + events
    path = tmp_path / "running.mid"
    path.write_bytes(data)
    (score,) = _read(path)
    assert score.notes == (Note(0, 96, 60, 80), Note(0, 144, 62, 81))


def test_overlapping_notes_of_one_pitch_pair_fifo(tmp_path):
    path = _file([[on(60, velocity=10), on(60, 10, velocity=20), off(60, 10), off(60, 10)]], tmp_path)
    (score,) = _read(path)
    assert score.notes == (Note(0, 20, 60, 10), Note(10, 20, 60, 20))  # the first note-off ends the first note


def test_dangling_stray_and_zero_length_notes(tmp_path):
    path = _file([[off(50), on(60), on(62), off(62), on(64, 48), mido.MetaMessage("end_of_track", time=48)]], tmp_path)
    (score,) = _read(path)
    # stray note-off ignored; zero-length note -> 1 tick; never-ended notes end with the track
    assert score.notes == (Note(0, 1, 62, 64), Note(0, 96, 60, 64), Note(48, 48, 64, 64))


def test_program_from_another_track_on_the_same_channel(tmp_path):
    setup = [mido.Message("program_change", channel=3, program=12)]
    notes = [on(60, channel=3), off(60, 96, channel=3), mido.Message("program_change", channel=3, program=5),
             on(61, channel=3), off(61, 96, channel=3)]
    (score,) = _read(_file([setup, notes], tmp_path))
    assert [n.program for n in score.notes] == [12, 5]


def test_events_on_one_tick_keep_the_last(tmp_path):
    conductor = [mido.MetaMessage("set_tempo", tempo=600_000), mido.MetaMessage("set_tempo", tempo=300_000)]
    (score,) = _read(_file([conductor, [on(60), off(60, 96)]], tmp_path))
    assert score.tempos == (Tempo(0, 300_000),)


def test_examples_survive_a_midi_file_exactly(tmp_path):
    for i, score in enumerate(EXAMPLES):  # includes drums, programs and nested notes of one pitch
        (path,) = write_midi([score], tmp_path / f"ex{i}.mid")
        assert _read(path) == [score]


timed = st.lists(st.integers(0, 5000), unique=True, max_size=3)


@settings(max_examples=40, deadline=None)
@given(notes=st.lists(st.builds(Note, st.integers(0, 5000), st.integers(1, 900), st.integers(0, 127),
                                st.integers(1, 127), st.integers(0, 127), st.booleans()), max_size=30),
       tempo_times=timed, sig_times=timed)
def test_any_valid_score_survives_to_midi_and_back(notes, tempo_times, sig_times):
    notes = [n._replace(program=0) if n.drum else n for n in notes]  # a drum channel has no program per note
    score = Score(tuple(notes), 480, tuple(Tempo(t, 400_000 + t) for t in tempo_times),
                  tuple(TimeSig(t, 3, 4) for t in sig_times))
    assert from_midi(to_midi(score)) == score


@settings(max_examples=60, deadline=None)
@given(notes=st.lists(st.builds(Note, st.integers(0, 2000) | st.integers(0, 3_000_000), st.integers(1, 300) |
                                st.integers(1, 300_000), st.integers(60, 64) | st.integers(0, 127), st.integers(1, 127),
                                st.integers(0, 17), st.booleans()), max_size=40),
       tempo_times=st.lists(st.integers(0, 3_000_000), max_size=4),
       sig_times=st.lists(st.integers(0, 3_000_000), max_size=4), ticks=st.sampled_from([96, 480, 960]))
def test_stored_size_is_the_length_of_the_file_mido_writes(notes, tempo_times, sig_times, ticks):
    # ticks up to millions: delta times of 1-4 bytes; 16+ programs share channels; repeated pitches make voices
    score = Score(tuple(notes), ticks, tuple(Tempo(t, 500_000) for t in tempo_times),
                  tuple(TimeSig(t, 6, 8) for t in sig_times))
    assert score.stored_size() == len(bytes(score))


def test_stored_size_of_the_examples_and_of_a_song_with_running_status():
    for score in EXAMPLES:
        assert score.stored_size() == len(bytes(score))
    chords = Score(tuple(Note(k * 10, 10 + k % 3, 60 + k % 5, 90, k % 20, k % 7 == 0) for k in range(3000)), 480)
    assert chords.stored_size() == len(bytes(chords))
    assert Score().stored_size() == len(bytes(Score()))


@pytest.mark.parametrize("name", ["remi", "midilike", "remi_bpe"])
def test_decoded_tokens_write_a_file_mido_reads_back_with_the_same_notes(name, tmp_path):
    tok = MIDI.make_tokenizer(name)
    if tok.trainable:
        tok.train(EXAMPLES)
    for i, sample in enumerate(EXAMPLES):
        decoded = tok.decode(tok.encode(sample))
        path = tmp_path / f"{name}{i}.mid"
        tok.decode_to_midi(tok.encode(sample)).save(str(path))
        back = mido.MidiFile(str(path))
        n_on = sum(1 for t in back.tracks for m in t if m.type == "note_on" and m.velocity > 0)
        assert n_on == len(decoded.notes)
        assert from_midi(back) == decoded
        assert MIDI.part("validator")(decoded) is None


def test_writer_names_files_by_folder_stem_or_file(tmp_path):
    assert write_midi(EXAMPLES[:2], tmp_path) == [tmp_path / "sample_0000.mid", tmp_path / "sample_0001.mid"]
    assert write_midi(EXAMPLES[:1], tmp_path / "one.midi") == [tmp_path / "one.midi"]
    assert write_midi(EXAMPLES[:2], tmp_path / "sub" / "gen") == [tmp_path / "sub" / "gen_0000.mid",
                                                                 tmp_path / "sub" / "gen_0001.mid"]
    with pytest.raises(polyseq.PolyseqError, match="sample #0"):
        write_midi(["C D E"], tmp_path / "x")


# ---- errors ---------------------------------------------------------------------------------------


def _truncated(tmp_path):
    good = write_midi(EXAMPLES[2:], tmp_path / "good.mid")[0]
    path = tmp_path / "truncated.mid"
    path.write_bytes(good.read_bytes()[:-40])
    return good, path


def test_corrupt_and_truncated_files_are_bad_records_naming_the_file(tmp_path):
    good, truncated = _truncated(tmp_path)
    junk = tmp_path / "junk.midi"
    junk.write_bytes(b"RIFF not midi at all")
    report = ReadReport()
    records = [r for p in (truncated, good, junk) for r in MIDI.read(p, report=report)]
    assert [r.sample for r in records] == [EXAMPLES[2]]  # the good file is not lost
    assert report.n_bad == 2
    assert "truncated.mid" in report.bad[0].where and "truncated" in report.bad[0].reason
    assert "junk.midi" in report.bad[1].where and "MThd" in report.bad[1].reason


def test_strict_mode_raises_naming_the_file(tmp_path):
    _, truncated = _truncated(tmp_path)
    with pytest.raises(BadRecordError, match="truncated.mid"):
        list(MIDI.read(truncated, strict=True))


def test_unreadable_file_is_a_reader_error(tmp_path):
    with pytest.raises(ReaderError, match="nothing.mid"):
        MIDI.read(tmp_path / "nothing.mid")
    folder = tmp_path / "folder.mid"
    folder.mkdir()
    with pytest.raises(ReaderError, match="folder.mid"):
        list(read_midi(folder))


def test_record_meta_describes_the_file(tmp_path):
    (record,) = MIDI.read(write_midi(EXAMPLES[:1], tmp_path / "a.mid")[0])
    assert record.meta["midi_type"] == 1 and record.meta["index"] == 0 and record.meta["ticks_per_beat"] == 480


def test_importing_the_plugin_does_not_import_mido():
    import os
    import subprocess
    import sys

    code = ("import sys, polyseq_midi, polyseq; polyseq.get_domain('midi'); "
            "print('mido' in sys.modules, 'numpy' in sys.modules)")
    env = {**os.environ, "POLYSEQ_LOAD_PLUGINS": "midi"}  # other plugins' imports are not this test's business
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.split() == ["False", "False"]
