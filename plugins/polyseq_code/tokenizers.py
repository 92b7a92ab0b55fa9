"""Source-code tokenizers: Pygments lexer tokens, with a learned byte-level BPE for the open classes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

from pygments import token as T
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from polyseq import (
    N_SPECIAL, SPECIAL_TOKENS, UNK_ID, ConfigError, PolyseqError, Span, TokenizerMixin, check_special_ids,
)
from polyseq_code.lexers import canonical, language_of, lex, make_lexer

#: Pygments types whose lexemes are kept whole (one typed id each) when frequent enough, with
#: whitespace runs; every other lexeme goes through BPE
CLOSED_TYPES = {"Keyword": T.Keyword, "Operator": T.Operator, "Punctuation": T.Punctuation}
_N_BYTES = 256
_CACHE_LIMIT = 200_000
_UNSEEN = object()


def _byte_chars() -> list[str]:
    """The printable character byte-level BPE writes for each byte 0..255 (GPT-2's table, as HF uses it)."""
    keep = [*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    chars = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in chars:
            chars[b] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in range(256)]


def _show(text: str, whitespace: bool) -> str:
    """Readable form of a token's text: escapes for control characters, `·` for spaces in whitespace tokens."""
    shown = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return shown.replace(" ", "·") if whitespace else shown


class PygmentsBPETokenizer(TokenizerMixin):
    """Lexer tokens from Pygments; identifiers, strings, comments and numbers split by byte-level BPE.

    Follows the lexer-then-subword scheme of code models such as CodeBERT/CodeT5 (a lexical
    pre-tokenisation, then byte-level BPE as in GPT-2, trained with Hugging Face `tokenizers`).
    Stages: pre-tokenise with the Pygments lexer of `language` (any of Pygments' ~600 languages, by
    lexer name, alias or file suffix); keywords, operators, punctuation and whitespace runs that
    occurred at least `min_frequency` times in training become one typed id each (`Keyword:def`,
    `Whitespace:\\n····`, up to `max_lexemes` of them); every other lexeme (names, strings,
    comments, numbers, rare operators or indents) is split by a byte-level BPE that holds all 256
    bytes, so there is no unknown symbol and `decode(encode(src)) == src` for every string.

    Where polyseq differs: whitespace and indentation are tokens, never dropped or normalised (line
    ends `\\r\\n` included), because generated code must run as written; the typed ids give the
    model the lexer's view of keywords and operators directly. `language="auto"` lexes each sample
    in the language it carries (`SourceCode` from the readers; plain strings count as Python);
    a fixed language is the right choice for language identification, where lexing by the label
    would leak it. `tokens()` shows each id with the Pygments type it came from (`Name.Function:fib`).
    """

    type_name: ClassVar[str] = "code.pygments"
    trainable: ClassVar[bool] = True

    def __init__(
        self, language: str = "python", vocab_size: int = 8000, max_lexemes: int = 500, min_frequency: int = 2
    ):
        problems = []
        if language != "auto":
            try:
                language = canonical(language, "language")
            except ConfigError as e:
                problems += e.problems
        if not isinstance(max_lexemes, int) or max_lexemes < 0:
            problems.append(f"max_lexemes must be an integer >= 0, got {max_lexemes!r}")
        elif not isinstance(vocab_size, int) or vocab_size < N_SPECIAL + _N_BYTES + max_lexemes:
            problems.append(
                f"vocab_size must be >= {N_SPECIAL + _N_BYTES} (special tokens + 256 bytes) + max_lexemes "
                f"({max_lexemes}) = {N_SPECIAL + _N_BYTES + max_lexemes}, got {vocab_size!r}"
            )
        if not isinstance(min_frequency, int) or min_frequency < 1:
            problems.append(f"min_frequency must be an integer >= 1, got {min_frequency!r}")
        if problems:
            raise ConfigError(problems)
        self.language = language
        self.max_vocab = vocab_size
        self.max_lexemes = max_lexemes
        self.min_frequency = min_frequency
        self.hf: Any = None
        self.lexemes: list[tuple[str, str]] = []
        self._class_of: dict[Any, str | None] = {}

    # ---- training ---------------------------------------------------------------------------

    @property
    def is_trained(self) -> bool:
        return self.hf is not None

    def train(self, samples: Iterable[str], vocab_size: int | None = None) -> None:
        """Learn the typed lexemes, then BPE merges over every lexeme that is not one of them."""
        vocab_size = vocab_size or self.max_vocab
        if vocab_size < N_SPECIAL + _N_BYTES + self.max_lexemes:
            raise ConfigError(f"vocab_size must be >= {N_SPECIAL + _N_BYTES + self.max_lexemes} (special tokens + "
                              f"256 bytes + max_lexemes={self.max_lexemes}), got {vocab_size}")
        closed: Counter[tuple[str, str]] = Counter()
        rest: Counter[str] = Counter()
        for sample in samples:
            for cls, _ttype, value in self._lexemes(sample):
                if cls is None:
                    rest[value] += 1
                else:
                    closed[(cls, value)] += 1
        ranked = sorted((k for k, c in closed.items() if c >= self.min_frequency), key=lambda k: (-closed[k], k))
        lexemes = ranked[: self.max_lexemes]
        kept = set(lexemes)
        for key, count in closed.items():
            if key not in kept:
                rest[key[1]] += count

        hf = Tokenizer(models.BPE(unk_token=SPECIAL_TOKENS[UNK_ID]))
        hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        hf.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size - len(lexemes),
            min_frequency=self.min_frequency,
            special_tokens=list(SPECIAL_TOKENS),
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        hf.train_from_iterator(_batches(rest), trainer=trainer)
        self._set_state(hf, lexemes)

    def _set_state(self, hf: Any, lexemes: Sequence[tuple[str, str]]) -> None:
        check_special_ids(hf, self.type_name)
        hf.encode_special_tokens = True  # "<unk>" in source code is text, not the special token (not saved by HF)
        self.hf, self.lexemes = hf, [tuple(x) for x in lexemes]
        n_hf = hf.get_vocab_size()
        byte_of = {c: b for b, c in enumerate(_byte_chars())}
        pieces: list[bytes] = []
        for i in range(n_hf):
            tok = hf.id_to_token(i)
            if tok is None:
                raise PolyseqError(f"{self.type_name}: the BPE vocabulary has no token with id {i}")
            pieces.append(b"" if i < N_SPECIAL else bytes(byte_of[c] for c in tok))
        pieces[UNK_ID] = self.unk_text.encode("utf-8")
        missing = set(range(256)) - {p[0] for p in pieces[N_SPECIAL:] if len(p) == 1}
        if missing:
            raise PolyseqError(f"{self.type_name}: the BPE vocabulary lacks {len(missing)} single bytes")
        self._bytes = pieces + [text.encode("utf-8") for _, text in self.lexemes]
        self._lexeme_id = {key: n_hf + j for j, key in enumerate(self.lexemes)}
        self._ids_by_class: dict[str, dict[str, int]] = {c: {} for c in (*CLOSED_TYPES, "Whitespace")}
        for (cls, text), i in self._lexeme_id.items():
            self._ids_by_class[cls][text] = i
        self._table_of: dict[Any, dict[str, int] | None] = {}
        self._cache: dict[str, list[int]] = {}

    # ---- encode / decode -----------------------------------------------------------------------

    def _lexemes(self, sample: Any) -> list[tuple[str | None, Any, str]]:
        """(closed class or None, Pygments type, text) per lexeme; adjacent whitespace is one run."""
        if not isinstance(sample, str):
            raise PolyseqError(f"{self.type_name} encodes source code as a string, got {type(sample).__name__}")
        language = language_of(sample, "python") if self.language == "auto" else self.language
        out: list[tuple[str | None, Any, str]] = []
        run = ""  # pending whitespace
        space_type = None
        for _, ttype, value in lex(sample, make_lexer(language)):
            if value.isspace():
                if not run:
                    space_type = ttype
                run += value
                continue
            if run:
                out.append(("Whitespace", space_type, run))
                run = ""
            if not value:
                continue
            out.append((self._class(ttype), ttype, value))
        if run:
            out.append(("Whitespace", space_type, run))
        return out

    def _class(self, ttype: Any) -> str | None:
        """The closed class of a Pygments type (`Keyword` for `Keyword.Constant`), None for open ones."""
        cls = self._class_of.get(ttype, _UNSEEN)
        if cls is _UNSEEN:
            cls = self._class_of[ttype] = next((c for c, t in CLOSED_TYPES.items() if ttype in t), None)
        return cls

    def _bpe(self, text: str) -> list[int]:
        ids = self._cache.get(text)
        if ids is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            ids = self._cache[text] = self._hf_encode(text).ids
        return ids

    def _hf_encode(self, text: str) -> Any:
        try:
            return self.hf.encode(text)
        except TypeError:  # HF takes only text that UTF-8 can encode
            bad = next((c for c in text if 0xD800 <= ord(c) <= 0xDFFF), None)
            if bad is None:
                raise
            raise PolyseqError(
                f"{self.type_name}: the sample holds a lone surrogate {bad!r}, which is not valid Unicode "
                "(text decoded with errors='surrogateescape'?); decode files as UTF-8, or use the bytes tokenizer"
            ) from None

    def _trained(self) -> None:
        if self.hf is None:
            raise PolyseqError(f"{self.type_name} has no vocabulary yet: call train(samples) first")

    def encode(self, sample: str) -> list[int]:
        # the loop of `_lexemes`, fused with the id lookup: this is the hot path (see the benchmark)
        self._trained()
        if not isinstance(sample, str):
            raise PolyseqError(f"{self.type_name} encodes source code as a string, got {type(sample).__name__}")
        language = language_of(sample, "python") if self.language == "auto" else self.language
        table_of, spaces, cache, bpe = self._table_of, self._ids_by_class["Whitespace"], self._cache, self._bpe
        out: list[int] = []
        run = ""
        for _, ttype, value in lex(sample, make_lexer(language)):
            if value.isspace():
                run += value
                continue
            if run:
                i = spaces.get(run)
                if i is None:
                    out += cache.get(run) or bpe(run)
                else:
                    out.append(i)
                run = ""
            if not value:
                continue
            table = table_of.get(ttype, _UNSEEN)
            if table is _UNSEEN:
                table = table_of[ttype] = self._ids_by_class.get(self._class(ttype))
            if table is not None:
                i = table.get(value)
                if i is not None:
                    out.append(i)
                    continue
            out += cache.get(value) or bpe(value)
        if run:
            i = spaces.get(run)
            if i is None:
                out += cache.get(run) or bpe(run)
            else:
                out.append(i)
        return out

    def encode_with_offsets(self, sample: str) -> tuple[list[int], list[Span]]:
        """Ids and spans: a typed lexeme spans its text; the BPE pieces of any other lexeme span the
        characters their bytes belong to (HF's offsets), so every character of the sample is covered."""
        self._trained()
        ids: list[int] = []
        spans: list[Span] = []
        at = 0  # the lexemes join back to the sample exactly
        for cls, _ttype, value in self._lexemes(sample):
            i = self._lexeme_id.get((cls, value)) if cls is not None else None
            if i is not None:
                ids.append(i)
                spans.append((at, at + len(value)))
            else:
                encoding = self._hf_encode(value)
                ids += encoding.ids
                spans += [(at + s, at + e) for s, e in encoding.offsets]
            at += len(value)
        return ids, spans

    def tokens(self, sample: str) -> list[str]:
        """Each id as `Type:text`: typed lexemes by their class, BPE pieces by their lexeme's Pygments type."""
        self._trained()
        shown = []
        for cls, ttype, value in self._lexemes(sample):
            i = self._lexeme_id.get((cls, value)) if cls is not None else None
            if i is not None:
                shown.append(self.id_to_token(i))
                continue
            kind = "Whitespace" if cls == "Whitespace" else str(ttype).removeprefix("Token.")
            shown += [f"{kind}:{self._piece_text(j, cls == 'Whitespace')}" for j in self._bpe(value)]
        return shown

    def decode(self, ids: Sequence[int]) -> str:
        self._trained()
        table, n = self._bytes, len(self._bytes)
        unk = table[UNK_ID]
        return b"".join(table[i] if 0 <= i < n else unk for i in ids).decode("utf-8", errors="replace")

    def _piece_text(self, i: int, whitespace: bool) -> str:
        return _show(self._bytes[i].decode("utf-8", errors="backslashreplace"), whitespace)

    def id_to_token(self, i: int) -> str:
        self._trained()
        n_hf = len(self._bytes) - len(self.lexemes)
        if 0 <= i < N_SPECIAL:
            return SPECIAL_TOKENS[i]
        if N_SPECIAL <= i < n_hf:
            return self._piece_text(i, self._bytes[i].isspace())
        if n_hf <= i < len(self._bytes):
            cls, text = self.lexemes[i - n_hf]
            return f"{cls}:{_show(text, cls == 'Whitespace')}"
        return SPECIAL_TOKENS[UNK_ID]

    @property
    def vocab_size(self) -> int:
        self._trained()
        return len(self._bytes)

    # ---- saving --------------------------------------------------------------------------------

    def to_config(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "vocab_size": self.max_vocab,
            "max_lexemes": self.max_lexemes,
            "min_frequency": self.min_frequency,
            "lexemes": [list(x) for x in self.lexemes] if self.hf is not None else None,
            "hf_tokenizer": self.hf.to_str() if self.hf is not None else None,
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PygmentsBPETokenizer:
        tok = cls(
            language=config["language"], vocab_size=config["vocab_size"],
            max_lexemes=config["max_lexemes"], min_frequency=config["min_frequency"],
        )
        if config.get("hf_tokenizer") is not None:
            tok._set_state(Tokenizer.from_str(config["hf_tokenizer"]), config["lexemes"])
        return tok


def _batches(counts: Counter[str], size: int = 4096) -> Iterator[list[str]]:
    """Each text repeated by its count, in batches of at most `size` (HF's trainer counts words itself).
    A frequent lexeme (`x`, a common indent) occurs millions of times in a large corpus: its repeats
    go out `size` at a time, never as one list."""
    batch: list[str] = []
    for text, count in counts.items():
        while count:
            take = min(count, size - len(batch))
            batch += [text] * take
            count -= take
            if len(batch) == size:
                yield batch
                batch = []
    if batch:
        yield batch

