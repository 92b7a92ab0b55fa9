"""Token views: a sample cut into its tokens, in the terminal (ANSI colours), as one HTML page,
and a table comparing tokenizers on the same input (`polyseq tokenize --show/--html/--compare`).

Everything goes through the tokenizer contract, never a domain's name:

- a tokenizer with offsets (`encode_with_offsets`) is shown on the sample's own characters, each
  token's span in turn; byte tokens of one character (same span) form one piece, characters no
  token covers (whitespace a word tokenizer drops) are shown uncoloured between them;
- a tokenizer without offsets (MIDI schemes, SELFIES; see `polyseq.tokenizers.offsets`), or
  with overlapping spans (k-mers with stride < k), is shown as its token strings with a boundary
  between each two, and the view says so (`TokenView.note`).

Highlighted kinds: `special` (<bos>, <pad>... any id of `tokenizer.special_tokens` but <unk>),
`unk` (<unk>) and `fallback` (a byte token `<0xNN>` of a tokenizer whose `fallback` option is
"bytes": the core's lookup and char tokenizers spell a symbol outside their vocabulary so, as
Hugging Face tokenizers' byte_fallback does; the bytes tokenizer's bytes are its vocabulary, not a
fallback). The piano roll of a note sample is in `polyseq.views.token_roll` (matplotlib is
imported only there).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from polyseq.errors import ConfigError
from polyseq.tokenizers.base import UNK_ID

KINDS = ("token", "special", "unk", "fallback", "gap")  # gap: characters that no token covers
LEGEND = {"token": "token (alternating colours)", "special": "special token", "unk": "<unk>",
          "fallback": "byte fallback <0xNN>", "gap": "not covered by any token"}
_BYTE_TOKEN = re.compile(r"<0x[0-9A-Fa-f]{2}>")


@dataclass(frozen=True)
class Piece:
    """What one boundary-delimited part of the view shows: `text` (the sample's characters, or the
    token string when there are no offsets), the token strings and ids behind it, and its kind."""

    text: str
    tokens: tuple[str, ...]
    ids: tuple[int, ...]
    kind: str


@dataclass(frozen=True)
class TokenView:
    """A sample cut into pieces; `on_text` says whether pieces are the sample's own characters."""

    pieces: tuple[Piece, ...]
    on_text: bool
    note: str | None = None  # why the view shows token strings instead of the sample's text

    @property
    def n_tokens(self) -> int:
        return sum(len(p.ids) for p in self.pieces)

    def counts(self) -> dict[str, int]:
        """Number of tokens of each highlighted kind."""
        out = dict.fromkeys(("special", "unk", "fallback"), 0)
        for p in self.pieces:
            if p.kind in out:
                out[p.kind] += len(p.ids)
        return out


def token_kind(tokenizer: Any, i: int, token: str, specials: frozenset[int] | None = None) -> str:
    """"unk", "special", "fallback" or "token" (`specials`: the special ids, when already at hand)."""
    if i == UNK_ID:
        return "unk"
    if i in (specials if specials is not None else frozenset(tokenizer.special_tokens.values())):
        return "special"
    if _BYTE_TOKEN.fullmatch(token) and getattr(tokenizer, "fallback", None) == "bytes":
        return "fallback"
    return "token"


def _worst(kinds: Sequence[str]) -> str:
    for kind in ("unk", "fallback", "special"):
        if kind in kinds:
            return kind
    return "token"


def token_view(tokenizer: Any, sample: Any) -> TokenView:
    """The pieces of `sample` under `tokenizer` (see the module docstring for the two forms)."""
    name = getattr(tokenizer, "type_name", type(tokenizer).__name__)
    encode = getattr(tokenizer, "encode_with_offsets", None)
    spans, note = None, None
    if encode is None or not isinstance(sample, str):
        ids = list(tokenizer.encode(sample))
        note = f"tokenizer {name!r} gives no character offsets: its token strings are shown, with boundaries"
    else:
        try:
            ids, spans = encode(sample)
        except ConfigError as e:  # options that rule offsets out (canonical SMILES)
            ids, note = list(tokenizer.encode(sample)), f"{e}: token strings are shown"
    tokens = [tokenizer.id_to_token(i) for i in ids]
    specials = frozenset(tokenizer.special_tokens.values())
    kinds = [token_kind(tokenizer, i, t, specials) for i, t in zip(ids, tokens)]
    if spans is not None and _overlapping(spans):
        spans, note = None, f"tokenizer {name!r} gives overlapping spans: its token strings are shown, with boundaries"
    if spans is None:
        pieces = tuple(Piece(t, (t,), (i,), k) for i, t, k in zip(ids, tokens, kinds))
        return TokenView(pieces, on_text=False, note=note)
    return TokenView(tuple(_text_pieces(sample, ids, tokens, kinds, spans)), on_text=True)


def _overlapping(spans: Sequence[tuple[int, int]]) -> bool:
    end, previous = 0, None
    for span in spans:
        if span != previous and span[0] < end:
            return True
        end, previous = max(end, span[1]), span
    return False


def _text_pieces(sample: str, ids: list[int], tokens: list[str], kinds: list[str], spans: list) -> list[Piece]:
    pieces: list[Piece] = []
    j, at = 0, 0
    while j < len(ids):
        start, end = spans[j]
        k = j + 1
        while k < len(ids) and spans[k] == spans[j] and end > start:  # byte tokens of one character
            k += 1
        if start > at:
            pieces.append(Piece(sample[at:start], (), (), "gap"))
        text = sample[start:end] if end > start else tokens[j]  # a token covering nothing: its string
        pieces.append(Piece(text, tuple(tokens[j:k]), tuple(ids[j:k]), _worst(kinds[j:k])))
        at, j = max(at, end), k
    if at < len(sample):
        pieces.append(Piece(sample[at:], (), (), "gap"))
    return pieces


# ---- terminal ---------------------------------------------------------------------------------

# two shades per kind, alternating within the kind, so two neighbouring <unk>s still show their boundary
_ANSI = {"token": ("\x1b[30;48;5;153m", "\x1b[30;48;5;223m"), "special": ("\x1b[97;45m", "\x1b[97;48;5;90m"),
         "unk": ("\x1b[1;97;41m", "\x1b[1;97;48;5;88m"), "fallback": ("\x1b[30;43m", "\x1b[30;48;5;178m"),
         "gap": ("", "")}
_RESET = "\x1b[0m"


def _colour(text: str, code: str) -> str:
    if not code:
        return text
    # reopen the colour after each line break so no background bleeds to the end of the line
    return "\n".join(f"{code}{line}{_RESET}" if line else "" for line in text.split("\n"))


def _shades(view: TokenView) -> list[int]:
    """0 or 1 per piece: pieces of one kind alternate between the kind's two shades."""
    seen = dict.fromkeys(KINDS, 0)
    out = []
    for p in view.pieces:
        out.append(seen[p.kind] % 2)
        seen[p.kind] += p.kind != "gap"
    return out


def render_terminal(view: TokenView, colour: bool) -> str:
    """The pieces in order: alternating backgrounds with `colour` (token strings - no offsets - also
    separated by a space), else each token between bars."""
    if colour:
        out = [_colour(p.text, _ANSI[p.kind][k]) for p, k in zip(view.pieces, _shades(view))]
        return ("" if view.on_text else " ").join(out)
    out, open_bar = [], False  # every token between bars: |The| |quick|; uncovered characters outside them
    for p in view.pieces:
        out.append(("|" if p.kind != "gap" or open_bar else "") + p.text)
        open_bar = p.kind != "gap"
    return "".join(out) + ("|" if open_bar else "")


def legend_line(view: TokenView, colour: bool) -> str:
    counts = view.counts()
    parts = [f"{counts[k]} {LEGEND[k]}" for k in ("unk", "fallback", "special")]
    if colour:
        parts = [f"{_ANSI[k][0]} {k} {_RESET} {counts[k]}" for k in ("unk", "fallback", "special")]
    line = f"{view.n_tokens} tokens; " + ", ".join(parts)
    return line + (f"\n  note: {view.note}" if view.note else "")


# ---- HTML -------------------------------------------------------------------------------------

_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}
.sample{font-family:ui-monospace,monospace;white-space:pre-wrap;line-height:1.9;border:1px solid #ccc;padding:.6em}
.sample span{border-radius:3px;padding:.1em 0}
.strings span{margin-right:.35em;padding:.1em .25em}
.t0{background:#b7dcf7}.t1{background:#f9dcb3}.special{background:#b04fb0;color:#fff}
.unk{background:#d62728;color:#fff;font-weight:bold}.fallback{background:#f2d43d}.gap{color:#888}
.special.alt{background:#7a2d7a}.unk.alt{background:#8b1010}.fallback.alt{background:#c9a800}
.legend span{display:inline-block;padding:.1em .5em;margin-right:.5em;border-radius:3px}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}
img{max-width:100%}"""


def _span(p: Piece, shade: int) -> str:
    cls = f"t{shade}" if p.kind == "token" else p.kind + " alt" * shade
    title = " ".join(f"{i}:{t}" for i, t in zip(p.ids, p.tokens)) or "no token"
    return f'<span class="{cls}" title="{html.escape(title)}">{html.escape(p.text)}</span>'


def render_html_section(heading: str, view: TokenView, image_png: bytes | None = None) -> str:
    """One record: a heading, the pieces as coloured spans, the note, an optional inline image."""
    spans = [_span(p, shade) for p, shade in zip(view.pieces, _shades(view))]
    form = "sample" if view.on_text else "sample strings"
    counts = view.counts()
    summary = f"{view.n_tokens} tokens; {counts['unk']} &lt;unk&gt;, {counts['fallback']} byte fallback, " \
              f"{counts['special']} special"
    parts = [f"<section><h2>{html.escape(heading)}</h2><p>{summary}</p>", f'<div class="{form}">{"".join(spans)}</div>']
    if view.note:
        parts.append(f"<p><em>{html.escape(view.note)}</em></p>")
    if image_png is not None:
        import base64

        parts.append(f'<p><img alt="piano roll with token boundaries" src="data:image/png;base64,'
                     f'{base64.b64encode(image_png).decode("ascii")}"></p>')
    return "\n".join(parts) + "</section>"


def render_html(title: str, sections: Sequence[str]) -> str:
    """A self-contained page (inline CSS, images as data URIs): title, legend, the sections."""
    legend = "".join(f'<span class="{"t0" if k == "token" else k}">{html.escape(LEGEND[k])}</span>' for k in KINDS)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{_CSS}</style></head>\n<body><h1>{html.escape(title)}</h1>\n"
            f'<p class="legend">{legend}</p>\n<p>Hover a piece for its token ids and strings.</p>\n'
            + "\n".join(sections) + "\n</body></html>\n")


# ---- comparing tokenizers ---------------------------------------------------------------------

COMPARE_COLUMNS = ("tokenizer", "vocab_size", "tokens_per_sample", "bytes_per_token", "unk_fallback_pct")


def parse_compare(spec: str) -> list[tuple[str, str, list[str]]]:
    """`char,bpe:vocab_size=500` -> [(label, name, ["KEY=VALUE", ...])]; options follow the name after `:`."""
    out = []
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            raise ConfigError(f"--compare {spec!r}: an empty tokenizer name; give names such as "
                              "'char,bpe:vocab_size=500'")
        name, *options = item.split(":")
        bad = [o for o in options if "=" not in o]
        if bad:
            raise ConfigError(f"--compare {item!r}: option {bad[0]!r} is not KEY=VALUE (e.g. bpe:vocab_size=500)")
        out.append((item, name, options))
    return out


class CompareStats:
    """One line of the table as running sums: the ids of a batch of samples and the batch's stored
    size are added as they come (`add_batch`), so the input need not be held; `row()` gives the figures."""

    def __init__(self, label: str, tokenizer: Any):
        self.label, self.tokenizer = label, tokenizer
        self.n_samples = self.n_tokens = self.n_bytes = 0
        self.bytes_known = True  # false once a sample has no byte form: bits per byte stay unreported
        self.counts: Counter[int] = Counter()

    def add_batch(self, seqs: Sequence[Sequence[int]], n_bytes: int | None) -> None:
        """`seqs`: the batch's ids; `n_bytes`: its samples' stored size (`polyseq.records.sample_size`),
        None when one of them has no byte form."""
        for ids in seqs:
            self.n_samples += 1
            self.n_tokens += len(ids)
            self.counts.update(ids)
        self.bytes_known = self.bytes_known and n_bytes is not None
        self.n_bytes += n_bytes or 0

    def row(self) -> dict[str, Any]:
        """Vocabulary size, mean tokens per sample, bytes per token (None for samples without a byte
        form) and the % of <unk> + byte-fallback tokens."""
        tok, n_tokens = self.tokenizer, self.n_tokens
        n_bytes = self.n_bytes if self.bytes_known else 0
        specials = frozenset(tok.special_tokens.values())
        odd = sum(n for i, n in self.counts.items()
                  if token_kind(tok, i, tok.id_to_token(i), specials) in ("unk", "fallback"))
        return {"tokenizer": self.label, "vocab_size": int(tok.vocab_size),
                "tokens_per_sample": n_tokens / self.n_samples if self.n_samples else 0.0,
                "bytes_per_token": n_bytes / n_tokens if n_bytes and n_tokens else None,
                "unk_fallback_pct": 100 * odd / n_tokens if n_tokens else 0.0,
                "trained": bool(getattr(tok, "trainable", False))}


_HEADER = ["tokenizer", "vocab size", "tokens/sample", "bytes/token", "% unk/fallback"]


def _cells(rows: Sequence[dict[str, Any]]) -> list[list[str]]:
    return [[r["tokenizer"] + ("*" if r["trained"] else ""), f"{r['vocab_size']:,}", f"{r['tokens_per_sample']:.1f}",
             "-" if r["bytes_per_token"] is None else f"{r['bytes_per_token']:.2f}", f"{r['unk_fallback_pct']:.1f}"]
            for r in rows]


def _footnotes(rows: Sequence[dict[str, Any]], n_samples: int) -> list[str]:
    notes = [f"means over {n_samples} sample(s); bytes: UTF-8 for text, bytes(sample) (the file form) for "
             "other samples"]
    if any(r["trained"] for r in rows):
        notes.append("* learned vocabulary: trained on this same input, so its figures are optimistic")
    return notes


def render_html_table(rows: Sequence[dict[str, Any]], n_samples: int) -> str:
    """The comparison as an HTML section (a table and its footnotes)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in _HEADER)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in _cells(rows))
    notes = "".join(f"<p>{html.escape(n)}</p>" for n in _footnotes(rows, n_samples))
    return f"<section><h2>Comparison</h2><table><tr>{head}</tr>{body}</table>{notes}</section>"


def render_table(rows: Sequence[dict[str, Any]], n_samples: int) -> str:
    """The comparison as an aligned text table with its footnotes."""
    header, body = _HEADER, _cells(rows)
    widths = [max(len(x[c]) for x in [header, *body]) for c in range(len(header))]
    lines = ["  ".join(x[c].ljust(widths[c]) if c == 0 else x[c].rjust(widths[c]) for c in range(len(header)))
             for x in [header, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines + _footnotes(rows, n_samples))
