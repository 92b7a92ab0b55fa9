"""Opt-in: the midi domain on the Nottingham tunes (POLYSEQ_DATA_MIRROR=../shared/data; read in place)."""

from collections import Counter

import mido
import pytest

import polyseq
from polyseq import ReadReport
from polyseq_midi.grid import GridOptions, grid_loss
from polyseq_midi.score import from_midi

pytestmark = pytest.mark.realdata
MIDI = polyseq.get_domain("midi")


@pytest.fixture(scope="module")
def tunes(data_mirror):
    folder = data_mirror / "midi" / "nottingham"
    report = ReadReport()
    scores = {}
    for sub in ("full", "melody"):
        for path in sorted((folder / sub).glob("*.mid")):
            for record in MIDI.read(path, strict=True, report=report):
                scores[f"{sub}/{path.name}"] = record.sample
    return scores, report


def test_every_file_reads_with_its_notes(tunes):
    scores, report = tunes
    assert report.n_bad == 0 and report.n_records == len(scores) == 2 * 831
    assert all(s.notes for s in scores.values())
    assert all(MIDI.part("validator")(s) is None for s in scores.values())


@pytest.mark.parametrize("name, options", [
    ("remi", {}), ("midilike", {}), ("remi", {"programs": False, "resolution": 4}),
], ids=["remi", "midilike", "remi-r4-noprograms"])
def test_every_note_survives_the_round_trip_at_grid_resolution(tunes, name, options):
    tok = MIDI.make_tokenizer(name, **options)
    kept = total = 0
    for key, score in tunes[0].items():
        expected, got = tok.normalize(score), tok.decode(tok.encode(score))
        kept += sum((Counter(expected.notes) & Counter(got.notes)).values())
        total += len(expected.notes)
        assert got == expected, f"{key}: round trip differs from the normal form"
    assert kept == total  # 100% of the notes: pitch, start, duration, velocity bin, program


def test_grid_of_12_per_beat_loses_almost_nothing(tunes):
    totals: Counter = Counter()
    for score in tunes[0].values():
        totals.update(grid_loss(score, GridOptions(resolution=12)))
    assert totals["onsets_off_grid"] / totals["notes"] < 1e-3  # triplets fit; 57 odd onsets in 438,955 notes
    assert totals["durations_clipped"] / totals["notes"] < 0.005
    assert totals["repaired_fifo"] == 0


def test_decoded_songs_are_files_mido_reads_back(tunes, tmp_path):
    tok = MIDI.make_tokenizer("remi")
    for key in sorted(tunes[0])[::100]:
        decoded = tok.decode(tok.encode(tunes[0][key]))
        path = tmp_path / "song.mid"
        decoded.save(path)
        assert from_midi(mido.MidiFile(str(path))) == decoded, key
