"""Catalog entries of the MIDI domain: Nottingham folk tunes, generated scales, Bach chorales (music21).

`DATASETS` is what `register_datasets` registers. Importing this module imports neither mido nor
music21. Labels (style, major/minor) are kept in each dataset's folder names and `labels.csv`;
the MIDI reader yields unlabelled scores, so these datasets serve the `lm` task.
"""

from __future__ import annotations

import random
from pathlib import Path

from polyseq import DatasetEntry, RemoteFile, TaskSpec, hookimpl
from polyseq_midi.nottingham_files import TUNES

_NOTTINGHAM = "https://raw.githubusercontent.com/jukedeck/nottingham-dataset/0992bb6cd864f6d4b90d6663e08c0ef53ffaa08f/MIDI"
MAJOR, MINOR = (0, 2, 4, 5, 7, 9, 11, 12), (0, 2, 3, 5, 7, 8, 10, 12)  # natural minor
PATTERNS = ("scale_up", "scale_down", "arpeggio_up", "arpeggio_down")
NOTE_NAMES = ("C", "Cs", "D", "Eb", "E", "F", "Fs", "G", "Ab", "A", "Bb", "B")


def _nottingham_files(melody: bool) -> tuple[RemoteFile, ...]:
    files = []
    for line in TUNES.splitlines():
        tune, full_sha, full_size, melody_sha, melody_size = line.split()
        folder, sha, size = ("melody", melody_sha, melody_size) if melody else ("full", full_sha, full_size)
        upstream = f"{_NOTTINGHAM}/melody/{tune}" if melody else f"{_NOTTINGHAM}/{tune}"
        files.append(RemoteFile(f"{folder}/{tune}", url=upstream, sha256=sha, size=int(size),
                                mirror_path=f"midi/nottingham/{folder}/{tune}"))
    return tuple(files)


def _pitches(tonic: int, mode: str, pattern: str) -> list[int]:
    steps = MAJOR if mode == "major" else MINOR
    notes = [tonic + s for s in steps] if pattern.startswith("scale") else [tonic + s for s in (steps[0], steps[2], steps[4], 12)]
    return notes if pattern.endswith("up") else notes[::-1]


def generate_scales(folder: Path, seed: int) -> None:
    """Scales and arpeggios in all 12 major and 12 (natural) minor keys, written with mido.

    For each key and pattern (scale up/down, tonic-triad arpeggio up/down): one type-0 file at
    480 ticks per beat, eighth notes, with the octave (3-5), tempo (80-160 bpm) and velocity
    drawn with `seed`. Files go to `major/` and `minor/`; `labels.csv` lists `file,label`.
    192 files; a model that learns them can tell major from minor.
    """
    import mido

    rng = random.Random(seed)
    folder = Path(folder)
    labels = ["file,label"]
    for mode in ("major", "minor"):
        (folder / mode).mkdir()
        for key in range(12):
            for pattern in PATTERNS:
                base = 12 * rng.randrange(4, 7) + key  # C4=60: octaves 3-5
                midi = mido.MidiFile(type=0, ticks_per_beat=480)
                track = mido.MidiTrack()
                midi.tracks.append(track)
                track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(rng.randrange(80, 161, 4)), time=0))
                track.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
                velocity = rng.randrange(60, 111)
                for pitch in _pitches(base, mode, pattern):
                    track.append(mido.Message("note_on", note=pitch, velocity=velocity, time=0))
                    track.append(mido.Message("note_off", note=pitch, velocity=0, time=240))
                track.append(mido.MetaMessage("end_of_track", time=0))
                name = f"{mode}/{NOTE_NAMES[key]}_{mode}_{pattern}.mid"
                midi.save(str(folder / name))
                labels.append(f"{name},{mode}")
    (folder / "labels.csv").write_text("\n".join(labels) + "\n", encoding="utf-8")


def generate_bach_chorales(folder: Path, seed: int, limit: int | None = None) -> None:
    """music21's bundled Bach chorales (371, `corpus.chorales.Iterator()`) written as MIDI by music21.

    Each chorale goes to `major/` or `minor/` by the mode of music21's key analysis;
    `labels.csv` lists `file,label`. The order is the corpus order (`seed` is unused: the corpus
    is fixed). Needs the optional music21 package (about 100 MB with its corpus).
    """
    from music21 import corpus

    folder = Path(folder)
    for mode in ("major", "minor"):
        (folder / mode).mkdir()
    labels = ["file,label"]
    for i, score in enumerate(corpus.chorales.Iterator()):
        if limit is not None and i >= limit:
            break
        mode = "minor" if score.analyze("key").mode == "minor" else "major"
        name = f"{mode}/chorale_{i + 1:03d}.mid"
        score.write("midi", fp=str(folder / name))
        labels.append(f"{name},{mode}")
    (folder / "labels.csv").write_text("\n".join(labels) + "\n", encoding="utf-8")


_NOTTINGHAM_COMMON = {
    "domain": "midi",
    "licence": "GPL-3.0 (jukedeck/nottingham-dataset): anything redistributing these files must stay GPL-3.0",
    "citation": "E. Foxley, Nottingham Music Database (ABC folk tunes); MIDI conversion by Jukedeck, "
                "https://github.com/jukedeck/nottingham-dataset",
    "homepage": "https://github.com/jukedeck/nottingham-dataset",
    "notes": "831 of the 1,034 tunes (every 5th tune of each ABC file left out, as in the reference copy); "
             "the style label is the file-name prefix (jigs, reels..., waltzes, xmas, hpps, slip...)",
    "tasks": (TaskSpec("lm", description="symbolic music generation"),),
}

NOTTINGHAM = DatasetEntry(
    name="nottingham",
    description="Nottingham folk tunes, melody only (831 monophonic MIDI files)",
    files=_nottingham_files(melody=True),
    splits={"train": ["melody/*.mid"]},
    **_NOTTINGHAM_COMMON,
)

NOTTINGHAM_FULL = DatasetEntry(
    name="nottingham_full",
    description="Nottingham folk tunes, melody and chords (831 two-track MIDI files)",
    files=_nottingham_files(melody=False),
    splits={"train": ["full/*.mid"]},
    **_NOTTINGHAM_COMMON,
)

SCALES = DatasetEntry(
    name="midi_scales",
    domain="midi",
    description="Offline: 192 scales and arpeggios in every major and minor key, written with mido",
    licence="generated by polyseq (no restrictions)",
    citation="polyseq synthetic data",
    generator="polyseq_midi.datasets:generate_scales",
    splits={"train": ["major/*.mid", "minor/*.mid"]},
    tasks=(TaskSpec("lm", description="major/minor labels in labels.csv and the folder names"),),
)

BACH = DatasetEntry(
    name="bach_chorales",
    domain="midi",
    description="Offline: music21's 371 Bach chorales as MIDI, major/minor (needs the optional music21 package)",
    licence="public domain music; music21 corpus BSD-3-Clause",
    citation="J. S. Bach, chorales, from the music21 corpus (M. S. Cuthbert, C. Ariza, music21, ISMIR 2010)",
    generator="polyseq_midi.datasets:generate_bach_chorales",
    splits={"train": ["major/*.mid", "minor/*.mid"]},
    requires=("music21",),
    tasks=(TaskSpec("lm", description="major/minor labels in labels.csv and the folder names"),),
    notes="install music21 (pip install music21) to use it; midi_scales needs nothing extra",
)

DATASETS = (NOTTINGHAM, NOTTINGHAM_FULL, SCALES, BACH)


@hookimpl
def register_datasets(register):  # noqa: ANN001, ANN201 - the hook's register callback
    for entry in DATASETS:
        register(entry)
