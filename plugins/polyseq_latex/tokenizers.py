"""LaTeX math as TeX sees it: control words, control symbols and single characters.

`lex(formula)` gives the tokens, `render(tokens)` writes them back with the fewest spaces that keep
them apart, and `normal_form(formula) == render(lex(formula))` is what every formula round-trips to.
`lex_spans(formula)` also gives where each token was read (the tokenizer's `encode_with_offsets`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from polyseq import N_SPECIAL, SPECIAL_TOKENS, UNK_ID, ConfigError, PolyseqError, Span, TokenizerMixin, Vocab

from polyseq_latex.commands import KNOWN_COMMANDS, TEXT_COMMANDS

_WS = " \t\r\n\f\v"
#: whitespace is skipped (not matched), so findall does the whole job in C
_FAST = re.compile(r"\\[A-Za-z]+|\\[^A-Za-z]?|[^ \t\r\n\f\v]")
#: the full lexer, for formulas with comments or text-mode arguments
_FULL = re.compile(r"\\[A-Za-z]+|\\[^A-Za-z]?|%[^\n]*(?:\n[ \t]*)?|[ \t\r\n\f\v]+|.", re.S)
_NEEDS_FULL = re.compile(r"%|\\(?:" + "|".join(sorted(c[1:] for c in TEXT_COMMANDS)) + r")(?![A-Za-z])")
#: `\` followed by a tab or line break is a control space, the same as `\ `
_CONTROL_SPACES = {"\\" + c: "\\ " for c in "\t\r\n\f\v"}
_ODD_CONTROL_SPACE = re.compile(r"\\[\t\r\n\f\v]")
TEXT_SPACE = " "


def lex(formula: str) -> list[str]:
    """TeX's tokens of `formula` in math mode (pdfTeX category codes).

    Control words are `\\` + ASCII letters; a control symbol is `\\` + one other character;
    every other character is a token of its own (digits one by one). Whitespace and `%` comments
    are dropped, except inside text arguments (`\\text{...}`, `\\mbox{...}`) where a run of
    whitespace is one `" "` token; spaces after a control word end it and are dropped, as in TeX.
    """
    if not _NEEDS_FULL.search(formula):
        tokens = _FAST.findall(formula)
    else:
        tokens = _lex_full(formula)[0]
    if _ODD_CONTROL_SPACE.search(formula):
        tokens = [_CONTROL_SPACES.get(t, t) for t in tokens]
    return tokens


def lex_spans(formula: str) -> tuple[list[str], list[Span]]:
    """`lex(formula)`, and the span of `formula` each token was read from (for a text-mode
    `" "`, its whole whitespace run); dropped whitespace and comments are in no span."""
    if not _NEEDS_FULL.search(formula):
        matches = list(_FAST.finditer(formula))
        tokens, spans = [m.group() for m in matches], [m.span() for m in matches]
    else:
        tokens, spans = _lex_full(formula)
    if _ODD_CONTROL_SPACE.search(formula):
        tokens = [_CONTROL_SPACES.get(t, t) for t in tokens]
    return tokens, spans


def _lex_full(formula: str) -> tuple[list[str], list[Span]]:
    tokens: list[str] = []
    spans: list[Span] = []
    depth = 0
    text_depths: list[int] = []  # brace depths at which a text argument opened
    pending_text = False  # the previous token was a text command
    in_inner_math = False  # `$...$` inside a text argument
    for m in _FULL.finditer(formula):
        t = m.group()
        if t[0] == "%":
            continue
        in_text = bool(text_depths) and not in_inner_math
        if t[0] in _WS:
            if in_text and tokens and tokens[-1] != TEXT_SPACE and not _is_control_word(tokens[-1]):
                tokens.append(TEXT_SPACE)
                spans.append(m.span())
            continue
        if t == "{":
            depth += 1
            if pending_text:
                text_depths.append(depth)
        elif t == "}":
            if text_depths and text_depths[-1] == depth:
                text_depths.pop()
            depth -= 1
        elif t == "$" and text_depths:
            in_inner_math = not in_inner_math
        pending_text = t in TEXT_COMMANDS
        tokens.append(t)
        spans.append(m.span())
    return tokens, spans


def _is_control_word(token: str) -> bool:
    return len(token) > 1 and token[0] == "\\" and token[1].isascii() and token[1].isalpha()


_GLUE = "\x00"
_SPACE_AFTER_WORD = re.compile(r"(\\[A-Za-z]+)\x00(?=[A-Za-z])")


def render(tokens: Iterable[str]) -> str:
    """The formula's text: tokens side by side, one space only where a control word would
    otherwise run into a letter (`\\alpha x`, never `\\alphax`)."""
    tokens = list(tokens)
    joined = _GLUE.join(tokens)
    if joined.count(_GLUE) == len(tokens) - 1:  # no token holds the glue character itself
        return _SPACE_AFTER_WORD.sub(r"\1 ", joined).replace(_GLUE, "")
    out = []
    for prev, t in zip(["" , *tokens], tokens):
        if _is_control_word(prev) and t[:1].isascii() and t[:1].isalpha():
            out.append(" ")
        out.append(t)
    return "".join(out)


def normal_form(formula: str) -> str:
    """`render(lex(formula))`: comments and insignificant whitespace gone, minimal spaces back."""
    return render(lex(formula))


def builtin_tokens() -> list[str]:
    """The vocabulary every LaTeX tokenizer starts with: printable ASCII, control symbols, known commands."""
    chars = [chr(c) for c in range(0x21, 0x7F) if chr(c) not in "\\%"]
    symbols = ["\\"] + ["\\" + chr(c) for c in range(0x20, 0x7F) if not chr(c).isalpha()]
    return chars + [TEXT_SPACE] + symbols + sorted(KNOWN_COMMANDS)


class _Lookup(dict):
    """token -> id; a missing token is <unk>, found without a Python call per known token."""

    def __missing__(self, key: str) -> int:
        return UNK_ID


class LatexTokenizer(TokenizerMixin):
    """LaTeX math tokens as TeX's input processor reads them (Knuth, *The TeXbook*, ch. 7-8):
    control words (`\\frac`), control symbols (`\\{`, `\\\\`, `\\,`), and single characters
    (braces, `^ _ & ~`, each digit, each letter, operators), as im2latex-100k tokenizes formulas
    (Deng et al. 2017).

    Round trip: `decode(encode(x)) == normalize(x)`, the formula with comments and insignificant
    whitespace removed and one space put back only after a control word followed by a letter; it
    re-tokenises to the same tokens, so it renders the same. Inside `\\text{...}`-like arguments
    a whitespace run is kept as one space. Where polyseq differs from im2latex: no space between
    tokens in the decoded text, comments dropped, and the vocabulary starts from a built-in one
    (printable ASCII, control symbols, ~600 known commands; `builtin=False` for none) that
    `train` extends with the most frequent other tokens of the data (up to `vocab_size` ids).
    """

    type_name: ClassVar[str] = "latex.math"
    trainable: ClassVar[bool] = True

    def __init__(
        self, tokens: Iterable[str] | None = None, builtin: bool = True, vocab_size: int | None = None,
        min_freq: int = 1,
    ):
        if not isinstance(builtin, bool):
            raise ConfigError(f"builtin must be true or false, got {builtin!r}")
        if vocab_size is not None and (isinstance(vocab_size, bool) or not isinstance(vocab_size, int)
                                       or vocab_size <= N_SPECIAL):
            raise ConfigError(f"vocab_size must be an integer > {N_SPECIAL} (the special tokens) or None, "
                              f"got {vocab_size!r}")
        if isinstance(min_freq, bool) or not isinstance(min_freq, int) or min_freq < 1:
            raise ConfigError(f"min_freq must be an integer >= 1, got {min_freq!r}")
        self.builtin, self.max_vocab, self.min_freq = builtin, vocab_size, min_freq
        self.vocab: Vocab | None = None
        if tokens is not None:
            self._set_vocab(Vocab(tokens))
        elif builtin:
            self._set_vocab(Vocab(builtin_tokens()))

    def _set_vocab(self, vocab: Vocab) -> None:
        bad = [t for t in vocab.content_tokens() if not isinstance(t, str) or not t]
        if bad:
            raise ConfigError(f"tokens must be non-empty strings, got {bad[:3]!r}")
        self.vocab = vocab
        self._ids = _Lookup(vocab.stoi)

    @property
    def is_trained(self) -> bool:
        return self.vocab is not None

    def train(self, samples: Iterable[str], vocab_size: int | None = None) -> None:
        """Add the most frequent tokens of `samples` missing from the vocabulary, up to `vocab_size` ids."""
        counts: Counter[str] = Counter()
        for s in samples:
            counts.update(lex(_as_formula(s)))
        base = self.vocab.content_tokens() if self.vocab is not None else []
        known = set(base)
        new = Counter({t: c for t, c in counts.items() if t not in known})
        cap = vocab_size or self.max_vocab
        room = None if cap is None else max(0, cap - N_SPECIAL - len(base))
        self._set_vocab(Vocab(base + Vocab.from_counts(new, None if room is None else room + N_SPECIAL,
                                                        self.min_freq).content_tokens()))

    def _vocab(self) -> Vocab:
        if self.vocab is None:
            raise PolyseqError("the latex tokenizer (builtin=False) has no vocabulary yet: call train(samples)")
        return self.vocab

    @property
    def vocab_size(self) -> int:
        return len(self._vocab())

    def encode(self, sample: str) -> list[int]:
        self._vocab()
        return list(map(self._ids.__getitem__, lex(_as_formula(sample))))

    def encode_with_offsets(self, sample: str) -> tuple[list[int], list[Span]]:
        self._vocab()
        tokens, spans = lex_spans(_as_formula(sample))
        return list(map(self._ids.__getitem__, tokens)), spans

    def decode(self, ids: Sequence[int]) -> str:
        return render(self._vocab().decode(ids, self.unk_text))

    def tokens(self, sample: str) -> list[str]:
        """The tokens of `sample` as the tokenizer sees them (unknown ones shown as <unk>)."""
        stoi = self._vocab().stoi
        return [t if t in stoi else SPECIAL_TOKENS[UNK_ID] for t in lex(_as_formula(sample))]

    def id_to_token(self, i: int) -> str:
        itos = self._vocab().itos
        return itos[i] if 0 <= i < len(itos) else SPECIAL_TOKENS[UNK_ID]

    def normalize(self, sample: str) -> str:
        return normal_form(_as_formula(sample))

    def to_config(self) -> dict[str, Any]:
        return {"tokens": self._vocab().content_tokens(), "builtin": self.builtin, "min_freq": self.min_freq}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LatexTokenizer:
        return cls(tokens=config["tokens"], builtin=config.get("builtin", True), min_freq=config.get("min_freq", 1))


def _as_formula(sample: Any) -> str:
    if not isinstance(sample, str):
        raise PolyseqError(f"the latex tokenizer encodes formulas as strings, got {type(sample).__name__}")
    return sample
