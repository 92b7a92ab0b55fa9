"""The grid: what a tokenizer keeps of a Score (its normal form), computed with numpy.

`normal_form(score, options)` quantises a Score onto the grid; both tokenizers encode from it
and `normalize()` returns it as a Score, so `decode(encode(x)) == normalize(x)`. The rules:

* ticks -> grid steps (`resolution` per beat), rounding half up; the normal form's
  `ticks_per_beat` is `resolution`. Durations are rounded the same way, then clipped to
  `1 .. max_duration * resolution` steps.
* velocity -> the nearest of `velocity_bins` values `round(127 * (k + 1) / bins)` (ties: lower).
* `programs=False`: every note becomes program 0, not drums. `programs=True`: drum notes keep
  `drum=True` with program 0 (the drum kit is not kept).
* `pair="fifo"` (midilike only, whose NOTE_OFF does not say which note it ends): notes of one
  (program, drum, pitch) are re-paired first-in first-out - the k-th onset with the k-th end.
* tempo -> integer bpm in `TEMPO_RANGE`; time signatures outside `TIME_SIGNATURES` -> 4/4; a
  time signature takes effect at the next bar line of the one before it. Of several events on
  one step the last wins; an event that repeats the previous value or comes after the last note
  onset is dropped; when the score has notes, 120 bpm and 4/4 are made explicit at step 0.
* a score without notes normalises to the empty score.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from polyseq import ConfigError, PolyseqError
from polyseq_midi.score import DEFAULT_TEMPO, Note, Score, Tempo, TimeSig

TEMPO_RANGE = (20, 300)  # integer bpm
#: every (numerator, denominator) with a power-of-two denominator up to 32 and a bar of at most 8 beats
TIME_SIGNATURES: tuple[tuple[int, int], ...] = tuple(
    (num, den) for den in (1, 2, 4, 8, 16, 32) for num in range(1, 2 * den + 1)
)
MAX_BAR_BEATS = 8
START, DUR, PITCH, VEL, PROG, DRUM = range(6)  # columns of the notes array
_EMPTY = np.zeros((0, 6), dtype=np.int64)


@dataclass(frozen=True)
class GridOptions:
    """Options shared by the midi tokenizers; validated on creation (ConfigError names each problem)."""

    resolution: int = 12
    velocity_bins: int = 32
    max_duration: int = 8
    programs: bool = True
    velocity_values: np.ndarray = field(init=False, repr=False, compare=False)
    velocity_lut: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = []
        for name, low, high in (("resolution", 1, 96), ("velocity_bins", 1, 127), ("max_duration", 1, 64)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                problems.append(f"midi tokenizer option {name} must be an integer in {low}..{high}, got {value!r}")
        if not isinstance(self.programs, bool):
            problems.append(f"midi tokenizer option programs must be true or false, got {self.programs!r}")
        if problems:
            raise ConfigError(problems)
        n = self.velocity_bins
        values = np.array([round(127 * (k + 1) / n) for k in range(n)], dtype=np.int64)
        lut = np.abs(np.arange(128)[:, None] - values[None, :]).argmin(axis=1)  # first minimum: ties go lower
        object.__setattr__(self, "velocity_values", values)
        object.__setattr__(self, "velocity_lut", lut)

    @property
    def max_steps(self) -> int:
        return self.max_duration * self.resolution

    def bar_steps(self, numerator: int, denominator: int) -> int:
        return max(1, -(-numerator * 4 * self.resolution // denominator))


@dataclass
class NormalForm:
    """A score on the grid: notes (n, 6) int64 sorted like Score.notes; events as plain tuples."""

    notes: np.ndarray
    tempos: list[tuple[int, int]]  # (step, bpm)
    sigs: list[tuple[int, int, int]]  # (step, numerator, denominator), each at a bar line

    def to_score(self, resolution: int) -> Score:
        return Score(
            notes=tuple(Note(s, d, p, v, g, bool(k)) for s, d, p, v, g, k in self.notes.tolist()),
            ticks_per_beat=resolution,
            tempos=tuple(Tempo(t, bpm_to_tempo(b)) for t, b in self.tempos),
            time_signatures=tuple(TimeSig(*s) for s in self.sigs),
        )


def bpm_to_tempo(bpm: int) -> int:
    return round(60_000_000 / bpm)


def tempo_to_bpm(tempo: int) -> int:
    low, high = TEMPO_RANGE
    return min(high, max(low, round(60_000_000 / tempo)))


def notes_array(score: Score) -> np.ndarray:
    """The notes of `score` as an (n, 6) int64 array, checked: a bad note is a PolyseqError."""
    if not isinstance(score, Score):
        raise PolyseqError(f"midi tokenizers encode a polyseq_midi Score, got {type(score).__name__}")
    if not score.notes:
        return _EMPTY
    a = np.array(score.notes, dtype=np.int64)
    for col, name, low, high in ((START, "start", 0, None), (DUR, "duration", 0, None), (PITCH, "pitch", 0, 127),
                                 (VEL, "velocity", 1, 127), (PROG, "program", 0, 127)):
        values = a[:, col]
        bad = (values < low) | (values > high) if high is not None else values < low
        if bad.any():
            i = int(bad.argmax())
            rule = f"in {low}..{high}" if high is not None else f">= {low}"
            raise PolyseqError(f"note #{i} {score.notes[i]}: {name} must be {rule}, got {values[i]}")
    return a


def normal_form(score: Score, opts: GridOptions, pair: str | None = None) -> NormalForm:
    a = notes_array(score)
    tpb = score.ticks_per_beat
    if not isinstance(tpb, int) or tpb < 1:
        raise PolyseqError(f"Score.ticks_per_beat must be a positive integer, got {tpb!r}")
    if len(a) == 0:
        return NormalForm(_EMPTY, [], [])
    r = opts.resolution
    out = np.empty_like(a)
    out[:, START] = (2 * r * a[:, START] + tpb) // (2 * tpb)
    out[:, DUR] = np.clip((2 * r * a[:, DUR] + tpb) // (2 * tpb), 1, opts.max_steps)
    out[:, PITCH] = a[:, PITCH]
    out[:, VEL] = opts.velocity_values[opts.velocity_lut[a[:, VEL]]]
    if opts.programs:
        out[:, DRUM] = a[:, DRUM] != 0
        out[:, PROG] = np.where(out[:, DRUM] == 1, 0, a[:, PROG])
    else:
        out[:, PROG] = 0
        out[:, DRUM] = 0
    if pair == "fifo":
        out = fifo_pair(out)
    out = out[np.lexsort(out.T[::-1])]
    last = int(out[-1, START])
    return NormalForm(out, _tempos(score, r, last), _sigs(score, opts, last))


def fifo_pair(a: np.ndarray) -> np.ndarray:
    """Re-pair onsets and ends of each (program, drum, pitch) in order: the k-th onset gets the k-th end.

    Onsets at one step are taken by increasing velocity. Durations stay >= 1, and none grows
    past the longest duration of its group (sorted matching minimises the largest gap).
    """
    key = (np.where(a[:, DRUM] == 1, 0, a[:, PROG] + 1)) * 128 + a[:, PITCH]
    ends = a[:, START] + a[:, DUR]
    by_start = np.lexsort((a[:, VEL], a[:, START], key))
    by_end = np.lexsort((ends, key))
    out = a[by_start]
    out[:, DUR] = ends[by_end] - out[:, START]
    return out


def _quantise(t: int, tpb: int, r: int) -> int:
    return (2 * r * t + tpb) // (2 * tpb)


def _tempos(score: Score, r: int, last: int) -> list[tuple[int, int]]:
    tpb = score.ticks_per_beat
    at: dict[int, int] = {}
    for e in score.tempos:  # time order; the last at a step wins
        at[_quantise(e.time, tpb, r)] = tempo_to_bpm(e.tempo)
    at.setdefault(0, tempo_to_bpm(DEFAULT_TEMPO))
    out: list[tuple[int, int]] = []
    for t in sorted(at):
        if t <= last and (not out or out[-1][1] != at[t]):
            out.append((t, at[t]))
    return out


def _sigs(score: Score, opts: GridOptions, last: int) -> list[tuple[int, int, int]]:
    tpb, r = score.ticks_per_beat, opts.resolution
    valid = set(TIME_SIGNATURES)
    out: list[list[int]] = []
    for e in score.time_signatures:
        t = _quantise(e.time, tpb, r)
        num, den = (e.numerator, e.denominator) if (e.numerator, e.denominator) in valid else (4, 4)
        if not out:
            if t > 0:
                out.append([0, 4, 4])
            else:
                out.append([0, num, den])
                continue
        prev_t, pn, pd = out[-1]
        bar = opts.bar_steps(pn, pd)
        t = prev_t + max(0, -(-(t - prev_t) // bar)) * bar  # the next bar line (not before the last change)
        if t == prev_t:
            out[-1] = [t, num, den]
        else:
            out.append([t, num, den])
    if not out:
        out.append([0, 4, 4])
    kept: list[tuple[int, int, int]] = []
    for t, num, den in out:
        if t <= last and (not kept or kept[-1][1:] != (num, den)):
            kept.append((t, num, den))
    return kept


def bar_starts(sigs: list[tuple[int, int, int]], opts: GridOptions, last: int) -> np.ndarray:
    """The step of every bar line from 0 up to the bar holding step `last`."""
    parts = []
    for i, (t, num, den) in enumerate(sigs):
        stop = sigs[i + 1][0] if i + 1 < len(sigs) else last + 1
        parts.append(np.arange(t, stop, opts.bar_steps(num, den), dtype=np.int64))
    return np.concatenate(parts) if parts else np.zeros(1, dtype=np.int64)


def grid_loss(score: Score, opts: GridOptions) -> dict[str, float]:
    """What the normal form changes in `score`, counted per note (sum these over a corpus).

    notes; onsets_not_exact / durations_not_exact (not a whole number of steps); onsets_off_grid /
    durations_off_grid (off by more than one tick, the rounding a file's integer ticks allow); onset_error_beats
    and duration_error_beats (summed absolute errors, in beats); durations_clipped (longer than
    max_duration); velocities_binned (velocity not a bin value); repaired_fifo (notes whose
    duration midilike's FIFO re-pairing changes); plus tempo_events, tempo_error_bpm (summed),
    time_signatures and time_signatures_changed (out of the vocabulary, or moved to a bar line).
    """
    a = notes_array(score)
    tpb, r = score.ticks_per_beat, opts.resolution
    out = {"notes": float(len(a)), "tempo_events": float(len(score.tempos)),
           "time_signatures": float(len(score.time_signatures))}
    q = normal_form(score, GridOptions(r, opts.velocity_bins, opts.max_duration, True))
    start = (2 * r * a[:, START] + tpb) // (2 * tpb)
    dur = (2 * r * a[:, DUR] + tpb) // (2 * tpb)
    onset_error = np.abs(start * tpb - a[:, START] * r)  # in ticks * r
    duration_error = np.abs(dur * tpb - a[:, DUR] * r)
    out["onsets_not_exact"] = float(np.count_nonzero(onset_error))
    out["durations_not_exact"] = float(np.count_nonzero(duration_error))
    out["onsets_off_grid"] = float(np.count_nonzero(onset_error > r))  # more than the file's 1-tick rounding
    out["durations_off_grid"] = float(np.count_nonzero(duration_error > r))
    out["onset_error_beats"] = float(onset_error.sum() / (r * tpb))
    out["duration_error_beats"] = float(duration_error.sum() / (r * tpb))
    out["durations_clipped"] = float(np.count_nonzero(dur > opts.max_steps))
    out["velocities_binned"] = float(np.count_nonzero(opts.velocity_values[opts.velocity_lut[a[:, VEL]]] != a[:, VEL]))
    repaired = fifo_pair(q.notes)
    repaired = repaired[np.lexsort(repaired.T[::-1])]
    out["repaired_fifo"] = float(np.count_nonzero((repaired != q.notes).any(axis=1))) if len(a) else 0.0
    out["tempo_error_bpm"] = float(sum(abs(e.bpm - tempo_to_bpm(e.tempo)) for e in score.tempos))
    kept = {(t, n, d) for t, n, d in q.sigs}
    out["time_signatures_changed"] = float(sum(
        (_quantise(e.time, tpb, r), e.numerator, e.denominator) not in kept for e in score.time_signatures
        if _quantise(e.time, tpb, r) <= (q.notes[-1, START] if len(a) else -1)))
    return out
