"""A piano roll of a note sample with its token boundaries (`polyseq tokenize --show --image`).

Generic through two parts of the contract, never a domain's name:

- the tokenizer's optional `token_times(ids) -> list[int | None]`: for each token, the time at
  which the token stream stands once the token is read, in the time unit of `decode(ids)`
  (None for a token that is not placed in time); the MIDI schemes have it;
- the decoded sample's `notes`, each with `start`, `duration` and `pitch` (the MIDI `Score`), and
  optionally `ticks_per_beat` to label the time axis in beats.

A vertical line is drawn where the stream moves to a new time, labelled with the index of the first
token there. matplotlib is imported only when an image is drawn.
"""

from __future__ import annotations

import io
from typing import Any

from polyseq.errors import ConfigError


def can_draw(tokenizer: Any, sample: Any) -> bool:
    """Whether `roll_png` can draw `sample`: the tokenizer places tokens in time and samples have notes."""
    return callable(getattr(tokenizer, "token_times", None)) and hasattr(sample, "notes")


def boundaries(times: list[int | None]) -> list[tuple[int, int]]:
    """(time, index of the first token there) for each time the token stream moves to."""
    out: list[tuple[int, int]] = []
    for j, t in enumerate(times):
        if t is not None and (not out or t != out[-1][0]):
            out.append((t, j))
    return out


def roll_png(tokenizer: Any, ids: list[int], title: str = "") -> bytes:
    """A PNG of the notes of `tokenizer.decode(ids)` with a line at each token boundary in time."""
    if not callable(getattr(tokenizer, "token_times", None)):
        name = getattr(tokenizer, "type_name", type(tokenizer).__name__)
        raise ConfigError(f"tokenizer {name!r} places no tokens in time (no token_times): no piano roll to draw")
    sample = tokenizer.decode(ids)
    notes = list(getattr(sample, "notes", ()))
    unit = getattr(sample, "ticks_per_beat", 1) or 1
    lines = boundaries(tokenizer.token_times(ids))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    end = max([n.start + n.duration for n in notes] + [t for t, _ in lines] + [1])
    fig, ax = plt.subplots(figsize=(min(16.0, 4 + end / unit * 0.6), 4), dpi=100)
    try:
        for n in notes:
            ax.broken_barh([(n.start / unit, n.duration / unit)], (n.pitch - 0.4, 0.8), facecolors="#1f77b4")
        for t, j in lines:
            ax.axvline(t / unit, color="#d62728", linewidth=0.8, alpha=0.7)
            ax.annotate(str(j), (t / unit, 1.0), xycoords=("data", "axes fraction"), fontsize=7,
                        color="#d62728", ha="center", va="bottom")
        pitches = [n.pitch for n in notes] or [60]
        ax.set_ylim(min(pitches) - 2, max(pitches) + 2)
        ax.set_xlim(0, end / unit)
        ax.set_xlabel("beats" if unit != 1 else "time")
        ax.set_ylabel("pitch")
        ax.set_title(f"{title}  ({len(ids)} tokens; red: token boundaries in time, first token index above)",
                     fontsize=9, pad=14)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    return buf.getvalue()
