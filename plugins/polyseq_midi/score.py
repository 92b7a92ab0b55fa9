"""The midi domain's sample: a `Score` of notes with tempo and time-signature events.

Times are MIDI ticks (`ticks_per_beat` per quarter note), so a Score read from a file loses
nothing the tokenizers use; a tokenizer's normal form is a Score whose `ticks_per_beat` is its
grid resolution, so that ticks *are* grid steps. Conversion both ways with `mido.MidiFile`;
mido is imported only inside the functions that need it, so building a Score costs nothing.

Reading MIDI (`from_midi`):
  * type 0, 1 and 2 files; every track and channel. Note-ons of velocity 0 are note-offs.
  * Overlapping notes of the same pitch on the same track and channel are paired **FIFO**: a
    note-off ends the earliest note still sounding at that pitch (the reading most synthesisers
    and most MIDI libraries use).
  * A note-off at the same tick as its note-on gives a 1-tick note; a note-on never switched off
    is ended at the end of its track (or given 1 tick if the track ends there).
  * Drums: channel 10 (index 9) sets `drum=True`. Program: the last program change on the same
    channel in the same track at or before the note; failing that, the last one on that channel
    in any track; failing that, 0.
  * Tempo and time-signature events of every track; of several at the same tick, the last wins.
Writing MIDI (`to_midi`): a type-1 file with a conductor track (tempos, time signatures), then
one track per (drum, program) with its own channel (drums on 9; more than 15 pitched programs
share channels). Notes of one pitch that overlap go to an extra track of the same channel, and
note-offs come before note-ons at one tick, so `from_midi(to_midi(s)) == s` for every valid
score whose events are on distinct ticks.
"""

from __future__ import annotations

import bisect
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import mido

DRUM_CHANNEL = 9
DEFAULT_TEMPO = 500_000  # microseconds per beat (120 bpm): the MIDI default
DEFAULT_TICKS_PER_BEAT = 480
_PITCHED_CHANNELS = [c for c in range(16) if c != DRUM_CHANNEL]


class Note(NamedTuple):
    """One note. `start` and `duration` in ticks; `program` is the General MIDI program 0..127."""

    start: int
    duration: int
    pitch: int
    velocity: int
    program: int = 0
    drum: bool = False


class Tempo(NamedTuple):
    """A tempo change at `time` (ticks): `tempo` microseconds per beat, as in MIDI and mido."""

    time: int
    tempo: int

    @property
    def bpm(self) -> float:
        return 60_000_000 / self.tempo


class TimeSig(NamedTuple):
    """A time-signature change at `time` (ticks)."""

    time: int
    numerator: int
    denominator: int


@dataclass(frozen=True)
class Score:
    """Notes (kept sorted, so equal note sets compare equal) plus tempo and time-signature events.

    Events are kept in time order (a stable sort: of two events at one tick the later one wins
    when the score is played or tokenized). `Score()` is the empty score.
    """

    notes: tuple[Note, ...] = ()
    ticks_per_beat: int = DEFAULT_TICKS_PER_BEAT
    tempos: tuple[Tempo, ...] = ()
    time_signatures: tuple[TimeSig, ...] = ()

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "notes", tuple(sorted(n if type(n) is Note else Note(*n) for n in self.notes)))
        set_(self, "tempos", tuple(sorted((Tempo(*t) for t in self.tempos), key=_time)))
        set_(self, "time_signatures", tuple(sorted((TimeSig(*t) for t in self.time_signatures), key=_time)))

    def __repr__(self) -> str:
        return (
            f"Score({len(self.notes)} notes, ticks_per_beat={self.ticks_per_beat}, notes={list(self.notes)[:8]}"
            f"{'...' if len(self.notes) > 8 else ''}, tempos={list(self.tempos)}, "
            f"time_signatures={list(self.time_signatures)})"
        )

    @property
    def end(self) -> int:
        """The tick at which the last note ends (0 for no notes)."""
        return max((n.start + n.duration for n in self.notes), default=0)

    @classmethod
    def from_midi(cls, midi: mido.MidiFile) -> Score:
        return from_midi(midi)

    def to_midi(self) -> mido.MidiFile:
        return to_midi(self)

    def save(self, path: Any) -> None:
        """Write the score as a Standard MIDI File (type 1)."""
        to_midi(self).save(str(path))

    def __bytes__(self) -> bytes:
        """The score as a Standard MIDI File: what bits-per-byte of a MIDI language model count."""
        import io

        buf = io.BytesIO()
        to_midi(self).save(file=buf)
        return buf.getvalue()

    def stored_size(self) -> int:
        """`len(bytes(self))`, worked out from the layout `to_midi` writes without making the file
        (mido builds and checks every message: ~100 ms for 4,000 notes against ~13 ms here); the
        token cache counts every record's stored size for bits per byte."""
        return smf_size(self)


def _time(event: tuple) -> int:
    return event[0]


# ------------------------------------------------------------------------------------------------
# mido -> Score
# ------------------------------------------------------------------------------------------------


def from_midi(midi: mido.MidiFile) -> Score:
    """Every note, tempo and time signature of a parsed MIDI file (rules in the module docstring)."""
    notes: list[list] = []  # [start, duration, pitch, velocity, program or None, drum, channel]
    tempos: list[tuple[int, int, int]] = []  # (time, order, tempo)
    sigs: list[tuple[int, int, int, int]] = []  # (time, order, numerator, denominator)
    changes: dict[int, list[tuple[int, int]]] = defaultdict(list)  # channel -> [(time, program)]
    order = 0
    for track in midi.tracks:
        t = 0
        sounding: dict[tuple[int, int], deque] = defaultdict(deque)
        programs: dict[int, int] = {}
        for msg in track:
            t += msg.time
            kind = msg.type
            if kind == "note_on" or kind == "note_off":
                ch, pitch = msg.channel, msg.note
                if kind == "note_on" and msg.velocity > 0:
                    note = [t, 0, pitch, msg.velocity, programs.get(ch), ch == DRUM_CHANNEL, ch]
                    sounding[(ch, pitch)].append(note)
                    notes.append(note)
                else:
                    queue = sounding.get((ch, pitch))
                    if queue:
                        note = queue.popleft()
                        note[1] = max(1, t - note[0])
            elif kind == "program_change":
                programs[msg.channel] = msg.program
                changes[msg.channel].append((t, msg.program))
            elif kind == "set_tempo":
                tempos.append((t, order, msg.tempo))
                order += 1
            elif kind == "time_signature":
                sigs.append((t, order, msg.numerator, msg.denominator))
                order += 1
        for queue in sounding.values():  # never switched off: end with the track
            for note in queue:
                note[1] = max(1, t - note[0])
    for ch_changes in changes.values():
        ch_changes.sort()
    out = []
    for start, duration, pitch, velocity, program, drum, ch in notes:
        if program is None:
            program = _program_at(changes.get(ch, ()), start)
        out.append(Note(start, duration, pitch, velocity, program, drum))
    return Score(
        notes=tuple(out),
        ticks_per_beat=midi.ticks_per_beat,
        tempos=tuple(Tempo(t, v) for t, _, v in _last_per_tick(tempos)),
        time_signatures=tuple(TimeSig(t, n, d) for t, _, n, d in _last_per_tick(sigs)),
    )


def _program_at(changes: Any, time: int) -> int:
    i = bisect.bisect_right(changes, (time, 128)) - 1
    return changes[i][1] if i >= 0 else 0


def _last_per_tick(events: list) -> list:
    events = sorted(events)
    return [e for i, e in enumerate(events) if i + 1 == len(events) or events[i + 1][0] != e[0]]


# ------------------------------------------------------------------------------------------------
# Score -> mido
# ------------------------------------------------------------------------------------------------


def to_midi(score: Score) -> mido.MidiFile:
    """A type-1 `mido.MidiFile` playing `score` (layout in the module docstring)."""
    import mido

    midi = mido.MidiFile(type=1, ticks_per_beat=score.ticks_per_beat)
    end = _end(score)
    conductor = [(e.time, 0, mido.MetaMessage("set_tempo", tempo=e.tempo, time=0)) for e in score.tempos]
    conductor += [
        (e.time, 0, mido.MetaMessage("time_signature", numerator=e.numerator, denominator=e.denominator, time=0))
        for e in score.time_signatures
    ]
    midi.tracks.append(_track(conductor, end))
    for ch, program, voice in _voice_tracks(score):
        events = [(0, 0, mido.Message("program_change", channel=ch, program=program, time=0))]
        for n in voice:
            events.append((n.start, 2, mido.Message("note_on", channel=ch, note=n.pitch, velocity=n.velocity)))
            events.append((n.start + n.duration, 1, mido.Message("note_off", channel=ch, note=n.pitch)))
        midi.tracks.append(_track(events, end))
    return midi


def _end(score: Score) -> int:
    return max(score.end, *(e.time for e in score.tempos), *(e.time for e in score.time_signatures), 0)


def _voice_tracks(score: Score) -> Iterator[tuple[int, int, list[Note]]]:
    """`(channel, program, notes)` of each track after the conductor, in the order `to_midi` writes them."""
    groups: dict[tuple[bool, int], list[Note]] = defaultdict(list)
    for n in score.notes:
        groups[(n.drum, n.program)].append(n)
    pitched = 0
    for (drum, program), notes in sorted(groups.items()):
        if drum:
            ch = DRUM_CHANNEL
        else:
            ch = _PITCHED_CHANNELS[pitched % len(_PITCHED_CHANNELS)]
            pitched += 1
        for voice in _voices(notes):
            yield ch, program, voice


def _voices(notes: list[Note]) -> list[list[Note]]:
    """Split notes so that no two of one pitch overlap in a voice (each voice becomes a track).

    A MIDI track cannot say which of two sounding notes of one pitch a note-off ends; with the
    overlaps moved to extra tracks, reading the file back gives exactly these notes.
    """
    voices: list[list[Note]] = []
    free_at: dict[int, list[int]] = defaultdict(list)  # pitch -> tick at which each voice is free
    for n in notes:  # sorted by start
        ends = free_at[n.pitch]
        v = next((i for i, t in enumerate(ends) if t <= n.start), len(ends))
        if v == len(ends):
            ends.append(0)
        ends[v] = n.start + n.duration
        if v == len(voices):
            voices.append([])
        voices[v].append(n)
    return voices


# Sizes in bytes of what `to_midi` writes, as mido's writer lays them out: a delta time (a
# variable-length number) before each message; a channel message repeating the status byte of
# the one before it drops that byte (running status); meta messages break the run.
_SMF_HEADER = 14  # "MThd", its length, format, number of tracks, ticks per beat
_TRACK_HEADER = 8  # "MTrk" and its length
_END_OF_TRACK = 3
_TEMPO, _TIME_SIGNATURE = 6, 7  # FF 51 03 + 3 bytes; FF 58 04 + 4 bytes
_PROGRAM_CHANGE, _NOTE = 2, 3  # status + data bytes


def _varlen(n: int) -> int:
    size = 1
    while n > 0x7F:
        n >>= 7
        size += 1
    return size


def _deltas_size(times: list[int], end: int) -> int:
    """Bytes of the delta times before events at the sorted `times` and before the end of track."""
    size, now = 0, 0
    for t in times:
        size += _varlen(t - now)
        now = t
    return size + _varlen(max(0, end - now))


def smf_size(score: Score) -> int:
    """The length of the Standard MIDI File `to_midi(score)` saves (`Score.stored_size`), without mido."""
    end = _end(score)
    meta_times = sorted([e.time for e in score.tempos] + [e.time for e in score.time_signatures])
    size = _SMF_HEADER + _TRACK_HEADER + _deltas_size(meta_times, end) + _END_OF_TRACK
    size += _TEMPO * len(score.tempos) + _TIME_SIGNATURE * len(score.time_signatures)
    for _ch, _program, voice in _voice_tracks(score):
        # (tick, kind): 0 the program change, 1 a note-off, 2 a note-on; the order `_track` sorts them in
        events = sorted([(n.start, 2) for n in voice] + [(n.start + n.duration, 1) for n in voice])
        size += _TRACK_HEADER + _deltas_size([0] + [t for t, _kind in events], end) + _END_OF_TRACK + _PROGRAM_CHANGE
        previous = 0
        for _t, kind in events:
            size += _NOTE - (kind == previous)  # running status: the same kind on one channel repeats the status
            previous = kind
    return size


def _track(events: list[tuple[int, int, Any]], end: int) -> Any:
    import mido

    track = mido.MidiTrack()
    now = 0
    for time, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=time - now))
        now = time
    track.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
    return track
