"""Reading and writing Standard MIDI Files with mido, and reading faster with symusic when installed.

`read_midi(path)` yields one `Record` per file (the whole file is one Score). A file mido cannot
parse (not MIDI, truncated, a bad event) is one `BadRecord` naming the file, so a folder of songs
loses only the broken ones; `Domain.read(path, strict=True)` turns it into an error. A file that
cannot be opened at all is a `ReaderError`.

Parsers: mido is the reference. With symusic installed (`pip install polyseq[midi-fast]`) files
are parsed by `symusic_backend.read_score`, which gives the same Score or hands the file back to
mido (see there); so records, and errors, are the same either way. The reader option
`parser="mido"` (`--data.reader_options`) or `POLYSEQ_MIDI_PARSER=mido` forces the reference.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from polyseq import BadRecord, PolyseqError, ReaderError, Record
from polyseq_midi.score import Score, from_midi, to_midi

SUFFIXES = (".mid", ".midi")
PARSERS = ("auto", "symusic", "mido")
# What mido raises on bytes that are not a well-formed MIDI file (EOFError: truncated file).
_PARSE_ERRORS = (OSError, EOFError, ValueError, KeyError, IndexError, TypeError)


def read_midi(path: Path, clip: bool = False, parser: str | None = None) -> Iterator[Record | BadRecord]:
    """One record: the Score of the file.

    `clip=True` clips data bytes > 127 (mido's option) instead of failing. `parser`: "auto" (symusic
    if installed, else mido), "symusic" or "mido"; None reads `POLYSEQ_MIDI_PARSER` (default auto).
    """
    read_score = _fast_parser(path, parser)
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ReaderError(f"{path}: cannot be opened: {e.strerror or e}") from e
    meta: dict[str, Any] = {"source": str(path), "index": 0}
    score = read_score(data) if read_score is not None else None
    if score is not None:  # the header as mido reads it (signed 16-bit fields)
        midi_type, n_tracks, ticks_per_beat = struct.unpack(">hhh", data[8:14])
        meta.update(midi_type=midi_type, n_tracks=n_tracks, ticks_per_beat=ticks_per_beat)
        yield Record(score, meta=meta)
        return
    import mido

    try:
        midi = mido.MidiFile(file=io.BytesIO(data), clip=clip)
    except _PARSE_ERRORS as e:
        detail = f"{type(e).__name__}: {e}" if str(e) else f"{type(e).__name__} (the file ends too early: truncated?)"
        yield BadRecord(f"not a readable MIDI file ({detail})", meta)
        return
    meta.update(midi_type=midi.type, n_tracks=len(midi.tracks), ticks_per_beat=midi.ticks_per_beat)
    yield Record(from_midi(midi), meta=meta)


def _fast_parser(path: Any, parser: str | None) -> Callable[[bytes], Score | None] | None:
    """symusic's reader, or None for mido; a parser named but not available is an error naming the option."""
    source = "the reader option parser" if parser is not None else "POLYSEQ_MIDI_PARSER"
    choice = (parser if parser is not None else os.environ.get("POLYSEQ_MIDI_PARSER", "")).strip().lower() or "auto"
    if choice not in PARSERS:
        raise ReaderError(f"{path}: unknown MIDI parser {choice!r} (from {source}). "
                          f"Choose one of: {', '.join(PARSERS)}.")
    if choice == "mido":
        return None
    try:
        from polyseq_midi.symusic_backend import read_score
        import symusic  # noqa: F401
    except ImportError as e:
        if choice == "symusic":
            raise ReaderError(f"{path}: MIDI parser 'symusic' (from {source}) is not installed: "
                              f"pip install symusic, or choose parser 'mido' ({e})") from e
        return None
    return read_score


def write_midi(samples: Iterable[Score], path: Any) -> list[Path]:
    """Write one `.mid` per score; returns the paths written.

    `path` is an existing folder (files `sample_0000.mid`...), a `.mid`/`.midi` file name (used
    as is for a single score, else as the stem of numbered files), or a stem (`out/song` gives
    `out/song_0000.mid`...).
    """
    samples = list(samples)
    path = Path(path)
    if path.is_dir():
        names = [path / f"sample_{i:04d}.mid" for i in range(len(samples))]
    elif path.suffix.lower() in SUFFIXES and len(samples) == 1:
        names = [path]
    else:
        stem = path.with_suffix("") if path.suffix.lower() in SUFFIXES else path
        names = [stem.parent / f"{stem.name}_{i:04d}.mid" for i in range(len(samples))]
    for i, (score, name) in enumerate(zip(samples, names)):
        if not isinstance(score, Score):
            raise PolyseqError(f"midi writer: sample #{i} is a {type(score).__name__}, expected a polyseq_midi Score")
        name.parent.mkdir(parents=True, exist_ok=True)
        to_midi(score).save(str(name))
    return names


def example_files(folder: Path) -> list[Path]:
    """Small valid files for the conformance kit: a type-1 `.mid` (three tracks, drums) and a type-0 `.midi`."""
    import mido

    from polyseq_midi.examples import EXAMPLES

    folder = Path(folder)
    band = folder / "band.mid"
    to_midi(EXAMPLES[-1]).save(str(band))
    scale = mido.MidiFile(type=0, ticks_per_beat=EXAMPLES[0].ticks_per_beat)
    scale.tracks.append(mido.merge_tracks(to_midi(EXAMPLES[0]).tracks))
    scale.save(str(folder / "scale.midi"))
    return [band, folder / "scale.midi"]
