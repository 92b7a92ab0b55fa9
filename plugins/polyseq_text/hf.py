"""Hugging Face `tokenizers` plumbing shared by the text domain's learned tokenizers.

The four learned tokenizers (word, BPE, WordPiece, Unigram) differ only in the HF pipeline they
build (normaliser, pre-tokeniser, model, decoder) and in the trainer; everything else - polyseq's
fixed special ids, encoding without added specials, decoding <unk> to `unk_text`, JSON config -
is written once here, in `HFTokenizerMixin`. A class using it supplies `_pipeline()` (an untrained
HF tokenizer), `_trainer(vocab_size)` and `_options()` (its JSON-able constructor arguments).

Special-token text typed in a sample ("a <pad> b") is text. HF finds special tokens in two places:
its added vocabulary, which `encode_special_tokens = True` turns off, and the model itself, where
the trainers put them as ordinary entries (HF needs them there to give them their ids). A BPE model
reaches a vocabulary entry only through merges, and byte-level pre-tokenisation never lets "<" merge
with letters; WordPiece's pre-tokeniser splits "<" off too. But a WordLevel model looks whole words
up and a Unigram lattice tries every piece on every position, so "<pad>" becomes the pad id. Those
models encode through a copy whose special entries no sample can match (`_content_encoder`), and
their trainers' copies of special-token text learned from the corpus are dropped (`_drop_learned_specials`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from polyseq import (
    N_SPECIAL, SKIPPED_ON_DECODE, SPECIAL_TOKENS, UNK_ID, ConfigError, PolyseqError, Span, TokenizerMixin,
    check_special_ids,
)


def check_int(name: str, value: Any, minimum: int) -> int:
    """`value` as an int >= `minimum`, or a ConfigError naming the option, the rule and the value."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    return value


def byte_level_text(text: str) -> str:
    """`text`'s UTF-8 bytes written in the ByteLevel alphabet (GPT-2's byte -> printable char map)."""
    return "".join(_BYTE_ALPHABET[b] for b in text.encode("utf-8"))


def _byte_alphabet() -> list[str]:
    # GPT-2 (Radford et al. 2019): printable Latin-1 bytes stand for themselves, the 68 others
    # (controls, space, DEL, NBSP, soft hyphen...) for U+0100 onwards, in byte order
    printable = {*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)}
    out, n_other = [], 0
    for b in range(256):
        if b in printable:
            out.append(chr(b))
        else:
            out.append(chr(0x100 + n_other))
            n_other += 1
    return out


_BYTE_ALPHABET = _byte_alphabet()


class HFTokenizerMixin(TokenizerMixin):
    """Encode/decode/train/save for a tokenizer whose model is a Hugging Face `tokenizers.Tokenizer`."""

    trainable: ClassVar[bool] = True
    #: how <unk> is written for the HF decoder (byte-level models need it in their byte alphabet)
    _unk_piece: ClassVar[str] = TokenizerMixin.unk_text

    #: the smallest vocab_size the trainer may be given
    _min_vocab: ClassVar[int] = N_SPECIAL + 1
    #: whether the HF model can match a special token's text in a sample (see the module docstring):
    #: then encoding goes through a copy of the model whose special entries match nothing
    _model_matches_specials: ClassVar[bool] = False

    hf: Any  # tokenizers.Tokenizer, untrained until train() or from_config()
    vocab_size_option: int

    # ---- what each class supplies ----------------------------------------------------------

    def _pipeline(self) -> Any:
        raise NotImplementedError

    def _trainer(self, vocab_size: int) -> Any:
        raise NotImplementedError

    def _options(self) -> dict[str, Any]:
        raise NotImplementedError

    # ---- training and state ----------------------------------------------------------------

    def _set_hf(self, hf: Any) -> None:
        self._load(hf.to_str())

    def _load(self, hf_json: str) -> None:
        """Use the HF tokenizer serialised as `hf_json`, which is also what `to_config` saves:
        HF's float printing does not round-trip Unigram scores exactly, so a trained model is
        rebuilt from its own JSON and a loaded one keeps the very text it was read from."""
        from tokenizers import Tokenizer as HFTokenizer

        try:
            hf = HFTokenizer.from_str(hf_json)
        except Exception as e:  # HF raises a bare Exception for malformed JSON
            raise PolyseqError(f"{self.type_name}: the saved HF tokenizer cannot be read: {e}") from e
        hf.encode_special_tokens = True  # "<pad>" typed in a text is text, not the pad id (not saved by HF)
        self.hf, self._hf_json = hf, hf_json
        self._hf_encoder = _content_encoder(hf_json) if self._model_matches_specials else hf

    @property
    def is_trained(self) -> bool:
        return self.hf.get_vocab_size() > N_SPECIAL

    def train(self, samples: Iterable[str], vocab_size: int | None = None) -> None:
        """Learn the vocabulary from `samples` (strings) with HF's trainer; `vocab_size` overrides the option."""
        size = self.vocab_size_option if vocab_size is None else check_int("vocab_size", vocab_size, self._min_vocab)
        hf = self._pipeline()
        hf.train_from_iterator((_as_text(s, self.type_name) for s in samples), trainer=self._trainer(size))
        hf_json = hf.to_str()
        if self._model_matches_specials:
            hf_json = _drop_learned_specials(hf_json)
        self._load(hf_json)
        check_special_ids(self.hf, self.type_name)

    def _model(self) -> Any:
        if not self.is_trained:
            raise PolyseqError(
                f"the {self.type_name} tokenizer has no vocabulary yet: call train(samples) first, "
                "or load a trained one with polyseq.load_tokenizer(path)"
            )
        return self.hf

    def _encoder(self) -> Any:
        self._model()
        return self._hf_encoder

    @property
    def vocab_size(self) -> int:
        return self._model().get_vocab_size()

    # ---- encode / decode -------------------------------------------------------------------

    def encode(self, sample: str) -> list[int]:
        return self._encoder().encode(_as_text(sample, self.type_name), add_special_tokens=False).ids

    def encode_with_offsets(self, sample: str) -> tuple[list[int], list[Span]]:
        """The ids and HF's own `Encoding.offsets`: characters of the sample as given (HF aligns
        what normalisers such as Lowercase change back to it); whitespace the pre-tokeniser drops
        is in no span. Under byte-level BPE a token spans the characters its bytes belong to, so
        when a merge splits a character (its last byte merged with what follows) the two tokens
        share that character: "é" + "x" can give "Ã" (0, 1) and "©x" (0, 2)."""
        encoding = self._encoder().encode(_as_text(sample, self.type_name), add_special_tokens=False)
        return encoding.ids, encoding.offsets

    def encode_batch(self, samples: Sequence[str]) -> list[list[int]]:
        texts = [_as_text(s, self.type_name) for s in samples]
        return [e.ids for e in self._encoder().encode_batch_fast(texts, add_special_tokens=False)]

    def decode(self, ids: Sequence[int]) -> str:
        hf = self._model()
        ids = list(ids)
        n = hf.get_vocab_size()
        if UNK_ID not in ids and (not ids or 0 <= min(ids) and max(ids) < n):
            return hf.decode(ids, skip_special_tokens=True)  # the fast path: all in Rust
        pieces = [
            self._unk_piece if i == UNK_ID or not 0 <= i < n else hf.id_to_token(i)
            for i in ids
            if i not in SKIPPED_ON_DECODE
        ]
        return hf.decoder.decode(pieces) if hf.decoder is not None else " ".join(pieces)

    def decode_batch(self, batch: Sequence[Sequence[int]]) -> list[str]:
        return [self.decode(ids) for ids in batch]

    def id_to_token(self, i: int) -> str:
        token = self._model().id_to_token(i)
        return token if token is not None else SPECIAL_TOKENS[UNK_ID]

    # ---- config ----------------------------------------------------------------------------

    def to_config(self) -> dict[str, Any]:
        self._model()
        return {**self._options(), "hf_tokenizer": self._hf_json}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Any:
        options = {k: v for k, v in config.items() if k != "hf_tokenizer"}
        tok = cls(**options)
        tok._load(config["hf_tokenizer"])
        check_special_ids(tok.hf, cls.type_name)
        return tok


def _content_encoder(hf_json: str) -> Any:
    """The HF tokenizer of `hf_json` for encoding only: no added tokens, and the model's special-token
    entries renamed to text with a space in it, which the model never sees (WhitespaceSplit drops
    spaces, Metaspace rewrites them as "\u2581"), so no sample can match them; every id stays as it is
    (a Unigram piece's id is its place in the list, its score is kept)."""
    from tokenizers import Tokenizer as HFTokenizer

    config = json.loads(hf_json)
    config["added_tokens"] = []
    model = config["model"]
    hidden = {t: f" {t} " for t in SPECIAL_TOKENS}
    if model["type"] == "Unigram":
        model["vocab"] = [[hidden.get(piece, piece), score] for piece, score in model["vocab"]]
    elif isinstance(model.get("vocab"), dict) and "merges" not in model:  # WordLevel, WordPiece
        model["vocab"] = {hidden.get(t, t): i for t, i in model["vocab"].items()}
        model["unk_token"] = hidden.get(model["unk_token"], model["unk_token"])
    else:
        raise PolyseqError(f"cannot hide the special tokens of an HF {model['type']} model")
    return HFTokenizer.from_str(json.dumps(config, ensure_ascii=False))


def _drop_learned_specials(hf_json: str) -> str:
    """`hf_json` without the content entries HF's trainer learned from special-token text in the corpus
    (the word "<pad>"): kept, they would take the special token's id away from it. Unchanged when there
    are none, so that the saved JSON stays HF's own text."""
    config = json.loads(hf_json)
    model = config["model"]
    if model["type"] == "Unigram":
        pieces = model["vocab"]
        kept = pieces[:N_SPECIAL] + [p for p in pieces[N_SPECIAL:] if p[0] not in SPECIAL_TOKENS]
        if len(kept) == len(pieces):
            return hf_json
        model["vocab"] = kept
    else:  # a word -> id map: a learned "<pad>" overwrote the special's entry
        vocab: dict[str, int] = model["vocab"]
        if all(vocab.get(t) == i for i, t in enumerate(SPECIAL_TOKENS)):
            return hf_json
        content = [t for t in sorted(vocab, key=vocab.__getitem__) if t not in SPECIAL_TOKENS]
        model["vocab"] = {t: i for i, t in enumerate([*SPECIAL_TOKENS, *content])}
    return json.dumps(config, ensure_ascii=False)


def _as_text(sample: Any, type_name: str) -> str:
    if not isinstance(sample, str):
        raise PolyseqError(f"the {type_name} tokenizer encodes strings, got {type(sample).__name__}")
    return sample
