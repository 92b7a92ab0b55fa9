"""MIDI tokenizers: `midilike` (Music Transformer events), `remi` (REMI) and `remi_bpe` (REMI + BPE).

Each encodes from the grid's normal form (`polyseq_midi.grid`), with numpy: the tokens of every
kind are built as arrays of (step, kind order, rank, id) and put in stream order by one
`np.lexsort` - no Python loop over notes. Decoding walks the ids once and returns a `Score`;
`decode_to_midi(ids)` (or `decode(ids).save(path)`) gives a playable `mido.MidiFile`.

Tokens read `Type_Value`: `Pitch_60`, `Velocity_91`, `Duration_6` and `TimeShift_4` (grid steps),
`Position_0`, `Program_-1` (drums), `Tempo_120` (bpm), `TimeSig_6/8`, `Bar`.

No scheme gives token offsets (`encode_with_offsets`): tokens follow time, not the order of the
score's notes; one note's tokens are interleaved with others' (MIDI-like puts its NoteOff after
later NoteOns); `Bar`, `Position` and `TimeShift` tokens belong to no note; and the normal form
may merge or drop notes. A per-note labelling task needs its own note -> tokens map.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from polyseq import N_SPECIAL, SPECIAL_TOKENS, ConfigError, PolyseqError, TokenizerMixin
from polyseq_midi.grid import (
    DRUM, DUR, PITCH, PROG, START, TEMPO_RANGE, TIME_SIGNATURES, VEL, MAX_BAR_BEATS, GridOptions, NormalForm,
    bar_starts, bpm_to_tempo, normal_form,
)
from polyseq_midi.score import Note, Score, Tempo, TimeSig

_SIG_INDEX = {sig: i for i, sig in enumerate(TIME_SIGNATURES)}


class _EventVocab:
    """Token strings `Type_Value` grouped by type; `first[type]` is the id of the type's first value."""

    def __init__(self, groups: list[tuple[str, list[Any]]]):
        self.itos: list[str] = list(SPECIAL_TOKENS)
        self.kind: list[str] = ["special"] * N_SPECIAL
        self.value: list[Any] = [None] * N_SPECIAL
        self.first: dict[str, int] = {}
        for name, values in groups:
            self.first[name] = len(self.itos)
            for v in values:
                shown = "/".join(map(str, v)) if isinstance(v, tuple) else v
                self.itos.append(name if v is None else f"{name}_{shown}")
                self.kind.append(name)
                self.value.append(v)


def _program_code(notes: np.ndarray) -> np.ndarray:
    """-1 for drums, else the program: the value of the note's Program token."""
    return np.where(notes[:, DRUM] == 1, -1, notes[:, PROG])


def _stream(parts: list[tuple[np.ndarray, int, np.ndarray, np.ndarray]]) -> list[int]:
    """Ids of all parts in stream order: by step, then kind order, then rank within the kind."""
    steps = np.concatenate([np.broadcast_to(p[0], p[3].shape) for p in parts])
    kinds = np.concatenate([np.full(p[3].shape, p[1]) for p in parts])
    ranks = np.concatenate([np.broadcast_to(p[2], p[3].shape) for p in parts])
    ids = np.concatenate([p[3] for p in parts])
    return ids[np.lexsort((ranks, kinds, steps))].tolist()


def _event_parts(nf: NormalForm, first: dict[str, int], sig_kind: int, tempo_kind: int) -> list:
    sig_t = np.array([s[0] for s in nf.sigs], dtype=np.int64)
    sig_ids = np.array([first["TimeSig"] + _SIG_INDEX[s[1:]] for s in nf.sigs], dtype=np.int64)
    tempo_t = np.array([t for t, _ in nf.tempos], dtype=np.int64)
    tempo_ids = np.array([first["Tempo"] + b - TEMPO_RANGE[0] for _, b in nf.tempos], dtype=np.int64)
    return [(sig_t, sig_kind, 0, sig_ids), (tempo_t, tempo_kind, 0, tempo_ids)]


class _GridTokenizer(TokenizerMixin):
    """Options, vocabulary, config and display shared by `midilike` and `remi`.

    A scheme declares data, not behaviour: `_groups()` (its token types and values, in id order)
    and `pair` (how `normalize` pairs note-offs); encode and decode are its own.
    """

    pair: ClassVar[str | None] = None

    def __init__(self, resolution: int = 12, velocity_bins: int = 32, max_duration: int = 8, programs: bool = True):
        self.options = GridOptions(resolution, velocity_bins, max_duration, programs)
        self.vocab = _EventVocab(self._groups())

    def _common_groups(self) -> list[tuple[str, list[Any]]]:
        o = self.options
        groups: list[tuple[str, list[Any]]] = [
            ("TimeSig", list(TIME_SIGNATURES)),
            ("Tempo", list(range(TEMPO_RANGE[0], TEMPO_RANGE[1] + 1))),
            ("Pitch", list(range(128))),
            ("Velocity", o.velocity_values.tolist()),
        ]
        if o.programs:
            groups.append(("Program", list(range(-1, 128))))
        return groups

    @property
    def vocab_size(self) -> int:
        return len(self.vocab.itos)

    def id_to_token(self, i: int) -> str:
        return self.vocab.itos[i] if 0 <= i < len(self.vocab.itos) else SPECIAL_TOKENS[1]

    def normalize(self, sample: Score) -> Score:
        return normal_form(sample, self.options, self.pair).to_score(self.options.resolution)

    def decode_to_midi(self, ids: Sequence[int]) -> Any:
        """A playable `mido.MidiFile` from ids (`decode(ids).save(path)` writes it)."""
        return self.decode(ids).to_midi()  # type: ignore[attr-defined]

    def to_config(self) -> dict[str, Any]:
        o = self.options
        return {"resolution": o.resolution, "velocity_bins": o.velocity_bins, "max_duration": o.max_duration,
                "programs": o.programs}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Any:
        return cls(**config)

    def _score(self, notes: list[Note], tempos: list, sigs: list) -> Score:
        return Score(notes=tuple(notes), ticks_per_beat=self.options.resolution,
                     tempos=tuple(Tempo(t, bpm_to_tempo(b)) for t, b in tempos),
                     time_signatures=tuple(TimeSig(t, *s) for t, s in sigs))


class MIDILike(_GridTokenizer):
    """Performance events: NoteOn / NoteOff / TimeShift / Velocity (Music Transformer, Huang et al. 2018).

    As in Oore et al. (2018) and Music Transformer, a `Velocity` token sets the velocity of the
    following `NoteOn`s (emitted only when it changes). polyseq differs: `TimeShift_k` moves k grid
    steps (1 .. 4 beats; longer gaps take several) instead of 10 ms units, so the grid is tied to
    the beat; `Tempo` and `TimeSig` tokens keep the score playable; with `programs=True` a
    `Program` token precedes each NoteOn/NoteOff. NOTE_OFF does not say which of several sounding
    notes of one pitch it ends: decoding pairs them first-in first-out, and `normalize` re-pairs
    the score the same way. Notes still sounding at the end of the ids are dropped by `decode`.
    At one step the order is TimeSig, Tempo, NoteOffs, then NoteOns.
    """

    type_name: ClassVar[str] = "midi.midilike"
    pair: ClassVar[str | None] = "fifo"

    def _groups(self) -> list[tuple[str, list[Any]]]:
        r = self.options.resolution
        return [("TimeShift", list(range(1, 4 * r + 1))), *self._common_groups(),
                ("NoteOn", list(range(128))), ("NoteOff", list(range(128)))]

    def encode(self, sample: Score) -> list[int]:
        nf = normal_form(sample, self.options, self.pair)
        a = nf.notes
        if len(a) == 0:
            return []
        f, programs, n = self.vocab.first, self.options.programs, len(a)
        ends = a[:, START] + a[:, DUR]
        code = _program_code(a)
        off = np.lexsort((a[:, PITCH], code, ends))
        on = np.lexsort((a[:, VEL], a[:, PITCH], code, a[:, START]))  # the order decode's FIFO expects
        vel_bin = self.options.velocity_lut[a[on, VEL]]
        new_vel = np.ones(n, dtype=bool)
        new_vel[1:] = vel_bin[1:] != vel_bin[:-1]
        on_ids = np.stack([f["Velocity"] + vel_bin, f.get("Program", 0) + 1 + code[on], f["NoteOn"] + a[on, PITCH]], 1)
        on_mask = np.stack([new_vel, np.full(n, programs), np.ones(n, dtype=bool)], 1)
        off_ids = np.stack([f.get("Program", 0) + 1 + code[off], f["NoteOff"] + a[off, PITCH]], 1)
        off_mask = np.stack([np.full(n, programs), np.ones(n, dtype=bool)], 1)
        on_steps = np.repeat(a[on, START], 3).reshape(n, 3)[on_mask]
        off_steps = np.repeat(ends[off], 2).reshape(n, 2)[off_mask]
        parts = _event_parts(nf, f, 1, 2)
        parts.append((off_steps, 3, np.arange(off_steps.size), off_ids[off_mask]))
        parts.append((on_steps, 4, np.arange(on_steps.size), on_ids[on_mask]))
        times = np.unique(np.concatenate([on_steps, off_steps, *(p[0] for p in parts[:2])]))
        parts.append(self._shifts(times))
        return _stream(parts)

    def _shifts(self, times: np.ndarray) -> tuple:
        longest = 4 * self.options.resolution
        gaps = np.diff(times, prepend=0)
        full, rest = gaps // longest, gaps % longest
        count = full + (rest > 0)
        steps = np.repeat(times, count)
        j = np.arange(steps.size) - np.repeat(np.cumsum(count) - count, count)
        k = np.where(j < np.repeat(full, count), longest, np.repeat(rest, count))
        return steps, 0, j, self.vocab.first["TimeShift"] + k - 1

    def decode(self, ids: Sequence[int]) -> Score:
        kind, value = self.vocab.kind, self.vocab.value
        n_ids = len(kind)
        t, velocity, program = 0, int(self.options.velocity_values[len(self.options.velocity_values) // 2]), 0
        sounding: dict[tuple[int, int], deque] = defaultdict(deque)
        notes, tempos, sigs = [], [], []
        for i in ids:
            if not N_SPECIAL <= i < n_ids:
                continue
            k, v = kind[i], value[i]
            if k == "TimeShift":
                t += v
            elif k == "NoteOn":
                sounding[(program, v)].append((t, velocity))
            elif k == "NoteOff":
                queue = sounding.get((program, v))
                if queue:
                    start, vel = queue.popleft()
                    if t > start:
                        notes.append(Note(start, t - start, v, vel, max(program, 0), program < 0))
            elif k == "Velocity":
                velocity = v
            elif k == "Program":
                program = v
            elif k == "Tempo":
                tempos.append((t, v))
            elif k == "TimeSig":
                sigs.append((t, v))
        return self._score(notes, tempos, sigs)

    def token_times(self, ids: Sequence[int]) -> list[int | None]:
        """Grid step the stream stands at after each token (None for special ids): the optional
        contract method `polyseq tokenize --image` draws token boundaries with."""
        kind, value, t, out = self.vocab.kind, self.vocab.value, 0, []
        for i in ids:
            if not N_SPECIAL <= i < len(kind):
                out.append(None)
                continue
            t += value[i] if kind[i] == "TimeShift" else 0
            out.append(t)
        return out


class REMI(_GridTokenizer):
    """Bar, Position, Pitch, Velocity, Duration, Tempo, TimeSig (REMI: Huang & Yang 2020, "Pop Music Transformer").

    Each note is `[Program] Pitch Velocity Duration` after the `Position` of its onset in the bar;
    a `Bar` token opens every bar, including empty ones. polyseq differs from the paper: positions
    and durations count grid steps (`resolution` per beat, positions 0 .. 8 beats) instead of 16
    fixed sixteenth-note slots; bars follow the score's time signatures (`TimeSig` after `Bar`, a
    change taking effect at a bar line, as in REMI+ / MidiTok) instead of always 4/4; `Tempo` is an
    integer bpm (the paper has tempo classes + values); chord tokens are left out; `Program`
    tokens (Program_-1 for drums) come with `programs=True`, as in REMI+ (von Rütte et al. 2023).
    """

    type_name: ClassVar[str] = "midi.remi"

    def _groups(self) -> list[tuple[str, list[Any]]]:
        o = self.options
        return [("Bar", [None]), ("Position", list(range(MAX_BAR_BEATS * o.resolution))), *self._common_groups(),
                ("Duration", list(range(1, o.max_steps + 1)))]

    def encode(self, sample: Score) -> list[int]:
        nf = normal_form(sample, self.options)
        a = nf.notes
        if len(a) == 0:
            return []
        f = self.vocab.first
        bars = bar_starts(nf.sigs, self.options, int(a[-1, START]))
        times = np.union1d(a[:, START], [t for t, _ in nf.tempos])
        positions = times - bars[np.searchsorted(bars, times, side="right") - 1]
        code = _program_code(a)
        order = np.lexsort((a[:, DUR], a[:, VEL], a[:, PITCH], code, a[:, START]))
        a, code = a[order], code[order]
        columns = [f["Pitch"] + a[:, PITCH], f["Velocity"] + self.options.velocity_lut[a[:, VEL]],
                   f["Duration"] + a[:, DUR] - 1]
        if self.options.programs:
            columns.insert(0, f["Program"] + 1 + code)
        note_ids = np.stack(columns, 1).ravel()
        note_steps = np.repeat(a[:, START], len(columns))
        parts = [(bars, 0, 0, np.full(bars.shape, f["Bar"])), *_event_parts(nf, f, 1, 3),
                 (times, 2, 0, f["Position"] + positions),
                 (note_steps, 4, np.arange(note_ids.size), note_ids)]
        return _stream(parts)

    def _walk(self, ids: Sequence[int]) -> Iterator[tuple[str | None, Any, int | None, int]]:
        """(kind, value, grid step, bar start) after each token, as the stream moves in time (Bar,
        Position, TimeSig); kind None for a special id. The one time rule of `decode` and `token_times`."""
        kind, value, o = self.vocab.kind, self.vocab.value, self.options
        bar, bar_len, t = -1, o.bar_steps(4, 4), 0
        for i in ids:
            if not N_SPECIAL <= i < len(kind):
                yield None, None, None, bar
                continue
            k, v = kind[i], value[i]
            if k == "Position":
                t = max(bar, 0) + v
            elif k == "Bar":
                bar = 0 if bar < 0 else bar + bar_len
                t = bar
            elif k == "TimeSig":
                bar_len = o.bar_steps(*v)
            yield k, v, t, bar

    def decode(self, ids: Sequence[int]) -> Score:
        program = 0
        pitch = velocity = None
        notes, tempos, sigs = [], [], []
        for k, v, t, bar in self._walk(ids):
            if k == "Pitch":
                pitch, velocity = v, None
            elif k == "Velocity":
                velocity = v
            elif k == "Duration":
                if pitch is not None and velocity is not None:
                    notes.append(Note(t, v, pitch, velocity, max(program, 0), program < 0))
                pitch = None
            elif k == "Program":
                program = v
            elif k == "Tempo":
                tempos.append((t, v))
            elif k == "TimeSig":
                sigs.append((max(bar, 0), v))
        return self._score(notes, tempos, sigs)

    def token_times(self, ids: Sequence[int]) -> list[int | None]:
        """Grid step the stream stands at after each token (None for special ids), as `decode` moves."""
        return [t for _, _, t, _ in self._walk(ids)]


class REMIBPE(TokenizerMixin):
    """REMI tokens merged by byte-pair encoding, learned with Hugging Face `tokenizers` (`SymbolBPE`).

    BPE over music tokens follows Fradet et al. (2023), "Byte Pair Encoding for Symbolic Music".
    A merged token stands for a run of REMI tokens (shown joined by `+`), so the round trip is the
    REMI one; `train(samples, vocab_size)` learns the merges (the default vocab_size adds 1024).
    """

    type_name: ClassVar[str] = "midi.remi_bpe"
    trainable: ClassVar[bool] = True

    def __init__(self, resolution: int = 12, velocity_bins: int = 32, max_duration: int = 8, programs: bool = True,
                 vocab_size: int | None = None):
        self.remi = REMI(resolution, velocity_bins, max_duration, programs)
        if vocab_size is not None and (not isinstance(vocab_size, int) or vocab_size < self.remi.vocab_size):
            raise ConfigError(f"midi tokenizer option vocab_size must be an integer >= the REMI vocabulary "
                              f"({self.remi.vocab_size}) for these options, got {vocab_size!r}")
        self.target_size = vocab_size or self.remi.vocab_size + 1024
        self.bpe: Any = None

    @property
    def is_trained(self) -> bool:
        return self.bpe is not None

    def train(self, samples: Iterable[Score], vocab_size: int | None = None) -> None:
        from polyseq import SymbolBPE

        self.bpe = SymbolBPE.train((self.remi.encode(s) for s in samples), self.remi.vocab_size,
                                   vocab_size or self.target_size)  # streamed: HF counts as they pass

    def _trained(self) -> Any:
        if self.bpe is None:
            raise PolyseqError("the midi.remi_bpe tokenizer has no merges yet: call train(samples) first")
        return self.bpe

    @property
    def vocab_size(self) -> int:
        return self._trained().vocab_size

    def encode(self, sample: Score) -> list[int]:
        return self._trained().encode(self.remi.encode(sample))

    def decode(self, ids: Sequence[int]) -> Score:
        return self.remi.decode(self._trained().decode(ids))

    def decode_to_midi(self, ids: Sequence[int]) -> Any:
        return self.decode(ids).to_midi()

    def token_times(self, ids: Sequence[int]) -> list[int | None]:
        """The REMI time of the last REMI token each merged token stands for (None for special ids)."""
        bpe = self._trained()
        pieces = [list(bpe.pieces(i)) if i >= N_SPECIAL else [] for i in ids]
        times = iter(self.remi.token_times([p for ps in pieces for p in ps]))
        out: list[int | None] = []
        for ps in pieces:
            last = None
            for _ in ps:
                last = next(times)
            out.append(last)
        return out

    def normalize(self, sample: Score) -> Score:
        return self.remi.normalize(sample)

    def id_to_token(self, i: int) -> str:
        if 0 <= i < N_SPECIAL:
            return SPECIAL_TOKENS[i]
        pieces = self._trained().pieces(i)
        return "+".join(self.remi.id_to_token(p) for p in pieces) if pieces else SPECIAL_TOKENS[1]

    def to_config(self) -> dict[str, Any]:
        return {**self.remi.to_config(), "vocab_size": self.target_size,
                "bpe": self.bpe.to_config() if self.bpe is not None else None}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> REMIBPE:
        config = dict(config)
        bpe = config.pop("bpe", None)
        tok = cls(**config)
        if bpe is not None:
            from polyseq import SymbolBPE

            tok.bpe = SymbolBPE.from_config(bpe)
        return tok
