"""The fast MIDI parser: symusic (C++, the parser miditok uses), giving exactly mido's Score.

`read_score(data)` returns the `Score` that `from_midi(mido.MidiFile(...))` would give, or None
when it cannot promise that; the reader then parses the file with mido, the reference. So a
file reads to the same Score (or the same error) whichever parser is installed.

symusic pairs note-ons and note-offs as `score.from_midi` does (FIFO per track, channel and pitch;
velocity 0 ends a note) but keeps less of the file, so before its notes are trusted a census of
the raw events (`census`: one pass of Python over the bytes, no object made per event) checks
that nothing it drops or reads differently is there:
  * every note-on is ended (symusic drops a note never switched off; mido's reader ends it with
    its track);
  * program changes: symusic gives a note the program current on its channel at its note-off,
    in its own track only; `from_midi` takes the program at the note-on and falls back to other
    tracks. They agree when, on each channel of each track, program changes come before the
    first note-on and no other track changes the program of a channel a track plays without one;
  * anything mido would refuse or read otherwise (data bytes > 127, undefined status bytes,
    running status after a meta event or sysex, a chunk that is not `MTrk`, events running past
    their chunk, bytes after the last track, unchecked meta events such as SMPTE offsets, SMPTE
    time division, a track not closed by end_of_track).
Tempos and time signatures are read by the census itself (of several at one tick the last read
wins, as in `from_midi`; symusic's sort does not keep that order). A file that fails the census
goes to mido: none of the 1,662 Nottingham files does (BENCHMARKS.md). Zero-length notes (a
note-off at the note-on's tick) last 1 tick, as in `from_midi`.
"""

from __future__ import annotations

from functools import partial
from itertools import repeat
from typing import NamedTuple

from polyseq_midi.score import Note, Score, Tempo, TimeSig

# Meta events symusic and mido both read whatever their data: text, names, lyrics, markers, MIDI
# port, sequencer-specific, and types mido does not know. Tempo, time and key signatures, sequence
# numbers, channel prefixes and SMPTE offsets are checked below or sent to mido.
_FREE_METAS = frozenset(range(0x01, 0x80)) - {0x20, 0x2F, 0x51, 0x54, 0x58, 0x59}
# Valid key signatures for mido: sharps/flats -7..7 (a signed byte), mode 0 (major) or 1 (minor).
_KEYS = frozenset((sf & 0xFF, mi) for sf in range(-7, 8) for mi in (0, 1))
_MAX_LENGTH = 1_000_000  # mido's limit on one message's data


_note = partial(tuple.__new__, Note)  # Note from a 6-tuple without NamedTuple's Python-level __new__


class Uncertain(Exception):
    """The census found something symusic's Score may not reproduce: parse with mido."""


def _varint(data: bytes, i: int, end: int) -> tuple[int, int]:
    value = 0
    while True:
        if i >= end:
            raise Uncertain("variable-length number runs past its chunk")
        byte = data[i]
        i += 1
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, i


class Census(NamedTuple):
    note_ons: int  # with velocity > 0: the number of notes from_midi makes
    tempos: dict[int, int]  # tick -> microseconds per beat
    time_signatures: dict[int, tuple[int, int]]  # tick -> (numerator, denominator)


def census(data: bytes) -> Census:
    """What symusic's Score leaves out, for a file it reads as mido does; raises `Uncertain` otherwise.

    Tempos and time signatures are taken from here (symusic's sort loses which of two at one tick
    came last); notes from symusic, checked against the number of note-ons.
    """
    if len(data) < 14 or data[:4] != b"MThd":
        raise Uncertain("no MThd header")
    size = int.from_bytes(data[4:8], "big")
    fmt, n_tracks, division = (int.from_bytes(data[i:i + 2], "big") for i in (8, 10, 12))
    if size != 6 or fmt > 2 or not 0 < n_tracks < 0x8000 or not 0 < division < 0x8000:
        raise Uncertain("unusual header")
    pos, note_ons = 14, 0
    changed: set[int] = set()  # channels with a program change in any track
    unset: set[int] = set()  # channels some track plays with no program change of its own
    tempos: dict[int, int] = {}  # tick -> tempo; of several at one tick the last read wins, as in from_midi
    sigs: dict[int, tuple[int, int]] = {}
    for _ in range(n_tracks):
        if data[pos:pos + 4] != b"MTrk" or pos + 8 > len(data):
            raise Uncertain("missing MTrk chunk")
        end = pos + 8 + int.from_bytes(data[pos + 4:pos + 8], "big")
        if end > len(data):
            raise Uncertain("truncated track")
        try:
            note_ons += _track(data, pos + 8, end, changed, unset, tempos, sigs)
        except IndexError:  # an event runs past the end of the file
            raise Uncertain("truncated event") from None
        pos = end
    if pos != len(data):
        raise Uncertain("bytes after the last track")
    if changed & unset:
        raise Uncertain("a track plays a channel whose program another track sets")
    return Census(note_ons, tempos, sigs)


def _track(data: bytes, i: int, end: int, changed: set, unset: set, tempos: dict, sigs: dict) -> int:
    """The census of one track chunk `data[i:end]`: its note-ons; programs, tempos and time signatures noted."""
    t = status = note_ons = closed_at = 0
    playing: set[int] = set()  # channels with a note-on so far in this track
    own: set[int] = set()  # channels with a program change in this track
    while i < end:
        byte = data[i]  # the delta time: one byte mostly
        i += 1
        if byte & 0x80:
            delta = byte & 0x7F
            while byte & 0x80:
                byte = data[i]
                i += 1
                delta = (delta << 7) | (byte & 0x7F)
            t += delta
        else:
            t += byte
        byte = data[i]
        if byte >= 0xF0:
            status = 0  # meta and sysex events cancel running status (mido keeps it: sent to mido below)
            if byte == 0xFF:
                kind = data[i + 1]
                length, i = _varint(data, i + 2, end)
                body = data[i:i + length]
                i += length
                if length > _MAX_LENGTH:
                    raise Uncertain("meta event longer than mido reads")
                if kind == 0x51 and length == 3:
                    tempos[t] = int.from_bytes(body, "big")
                elif kind == 0x58 and length == 4:
                    sigs[t] = (body[0], 2 ** body[1])
                elif kind == 0x2F and length == 0:
                    closed_at = i
                elif not (kind in _FREE_METAS or (kind == 0x00 and length in (0, 2))
                          or (kind == 0x20 and length >= 1)
                          or (kind == 0x59 and length == 2 and (body[0], body[1]) in _KEYS)):
                    raise Uncertain(f"meta event 0x{kind:02x} of length {length}")
            elif byte == 0xF0 or byte == 0xF7:
                length, i = _varint(data, i + 1, end)
                i += length
                if length > _MAX_LENGTH:
                    raise Uncertain("sysex longer than mido reads")
            else:
                raise Uncertain(f"system message 0x{byte:02x} in a track")
            continue
        if byte & 0x80:
            status = byte
            i += 1
        elif not status:
            raise Uncertain("running status without a channel message before it")
        if status < 0xC0 or status >= 0xE0:  # two data bytes
            first, second = data[i], data[i + 1]
            i += 2
            if first > 127 or second > 127:
                raise Uncertain("data byte > 127")
            if second and 0x90 <= status < 0xA0:
                note_ons += 1
                playing.add(status & 0x0F)
        else:
            if data[i] > 127:
                raise Uncertain("data byte > 127")
            i += 1
            if status < 0xD0:
                channel = status & 0x0F
                if channel in playing:
                    raise Uncertain("program change after a note on its channel")
                own.add(channel)
                changed.add(channel)
    if i != end or closed_at != end or t >= 2**31:  # symusic counts ticks in 32 bits
        raise Uncertain("a track overruns its chunk, does not end with end_of_track, or is longer than 2**31 ticks")
    unset |= playing - own
    return note_ons


def read_score(data: bytes) -> Score | None:
    """The Score of a Standard MIDI File through symusic; None where only mido's reading is certain."""
    import symusic

    try:
        found = census(data)
        parsed = symusic.Score.from_midi(data)
    except Exception:  # noqa: BLE001 - Uncertain, or anything symusic refuses: mido decides, and words the error
        return None
    notes: list[Note] = []
    for track in parsed.tracks:
        arrays = track.notes.numpy()
        if not len(arrays["time"]):
            continue
        durations = arrays["duration"].clip(1, None)  # a zero-length note lasts one tick, as in from_midi
        notes += map(_note, zip(arrays["time"].tolist(), durations.tolist(), arrays["pitch"].tolist(),
                                arrays["velocity"].tolist(), repeat(track.program), repeat(track.is_drum)))
    if len(notes) != found.note_ons:  # a note-on never switched off: mido's reader keeps it
        return None
    return Score(
        notes=notes,
        ticks_per_beat=parsed.ticks_per_quarter,
        tempos=[Tempo(t, v) for t, v in sorted(found.tempos.items())],
        time_signatures=[TimeSig(t, n, d) for t, (n, d) in sorted(found.time_signatures.items())],
    )
