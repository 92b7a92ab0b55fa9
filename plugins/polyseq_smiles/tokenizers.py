"""SMILES tokenizers: atom-level (regex), character-level, BPE over atoms, and SELFIES (optional).

All four share one vocabulary policy: a fixed *base* vocabulary (the organic-subset atoms, bonds,
branches, ring digits - what any SMILES of organic chemistry is made of) comes first, then what
`train()` finds in the data (bracket atoms, `%nn` ring closures...), most frequent first. Anything
else encodes to <unk>, never to nothing. A saved vocabulary is reloaded in its saved order (base
tokens a later version adds go after it), so ids never move. With `canonical=True` a tokenizer
first rewrites the SMILES into RDKit's canonical form, and `normalize()` returns that form (the
round trip compares to it). RDKit and selfies are imported only when a tokenizer needs them.

`atom` and `char` are configurations of the core's `polyseq.LookupTokenizer` (base vocabulary as
its alphabet, learned on top, the atom regex as its `symbols`, <unk> as fallback); `bpe` merges the
atom ids with `polyseq.SymbolBPE`; `selfies` keeps its own encoder and decoder (selfies' symbols
re-encode the molecule, they are not pieces of the string).

Token offsets (`encode_with_offsets`): the atom, char and BPE tokenizers give the characters of
the SMILES each token came from, covering the whole string - but not with `canonical=True`, whose
tokens belong to RDKit's rewritten string (a `ConfigError` says so); SELFIES gives none.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

from polyseq import (
    N_SPECIAL, SPECIAL_TOKENS, UNK_ID, ConfigError, LookupTokenizer, PolyseqError, Span, TokenizerMixin, Vocab,
)

# The Molecular Transformer regex (Schwaller et al., ACS Cent. Sci. 2019, 5, 1572), with two
# additions: RDKit's `%(nnn)` ring closures, and a last catch-all alternative so a character the
# regex does not know becomes a token of its own (then <unk>) instead of vanishing from findall.
ATOM_PATTERN = (
    r"\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*|\$"
    r"|%\([0-9]+\)|%[0-9]{2}|[0-9]|."
)
_ATOM_RE = re.compile(ATOM_PATTERN, re.DOTALL)
atom_split: Callable[[str], list[str]] = _ATOM_RE.findall  # type: ignore[assignment]

BASE_ATOMS: tuple[str, ...] = (
    "C", "c", "N", "n", "O", "o", "S", "s", "P", "p", "F", "Cl", "Br", "I", "B", "b", "*",
    "(", ")", "=", "#", "-", "$", ":", "/", "\\", "~", ".",
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "0",
)
BASE_CHARS: tuple[str, ...] = tuple(dict.fromkeys("".join(BASE_ATOMS) + "[]@+H%"))


def _require_str(sample: Any, type_name: str) -> str:
    if not isinstance(sample, str):
        raise PolyseqError(f"the {type_name} tokenizer encodes SMILES strings, got {type(sample).__name__}")
    return sample


def _check_options(vocab_size: int | None, min_freq: int, n_base: int, canonical: Any) -> None:
    problems = []
    if vocab_size is not None and (not isinstance(vocab_size, int) or vocab_size < N_SPECIAL + n_base):
        problems.append(
            f"vocab_size must be an integer >= {N_SPECIAL + n_base} ({N_SPECIAL} special tokens + {n_base} base "
            f"tokens), got {vocab_size!r}"
        )
    if not isinstance(min_freq, int) or min_freq < 1:
        problems.append(f"min_freq must be an integer >= 1, got {min_freq!r}")
    if not isinstance(canonical, bool):
        problems.append(f"canonical must be true or false, got {canonical!r}")
    if problems:
        raise ConfigError(problems)


def _token_list(tokens: Iterable[str] | None, option: str) -> list[str] | None:
    if tokens is None:
        return None
    tokens = list(tokens)
    bad = [t for t in tokens if not isinstance(t, str) or not t]
    if bad:
        raise ConfigError(f"{option} must be non-empty strings, got {bad[:5]!r}")
    return tokens


def _learn(counts: Counter[str], base: Sequence[str], vocab_size: int | None, min_freq: int) -> Vocab:
    """The base tokens, then the other tokens seen at least `min_freq` times, most frequent first."""
    base_set = set(base)
    kept = (t for t, c in counts.items() if c >= min_freq and t not in base_set)
    ranked = sorted(kept, key=lambda t: (-counts[t], t))
    if vocab_size is not None:
        ranked = ranked[: max(0, vocab_size - N_SPECIAL - len(base))]
    return Vocab([*base, *ranked])


def _normalize(sample: str, canonical: bool) -> str:
    if not canonical or not sample:
        return sample
    from polyseq_smiles.chem import canonical as to_canonical

    return to_canonical(sample)


def _no_canonical_offsets(tokenizer: Any) -> None:
    if tokenizer.canonical:
        raise ConfigError(
            f"tokenizer {tokenizer.type_name!r} with canonical=True gives no token offsets: RDKit's canonical "
            "SMILES reorders the atoms, so its tokens have no place in the SMILES as given. Use canonical=false."
        )


_NOT_TRAINED = "the {} tokenizer has no vocabulary yet: call train(samples) first"


def _trained(vocab: Vocab | None, type_name: str) -> Vocab:
    if vocab is None:
        raise PolyseqError(_NOT_TRAINED.format(type_name))
    return vocab


class _SmilesLookup(LookupTokenizer):
    """What `smiles.atom` and `smiles.char` share: a `polyseq.LookupTokenizer` whose base vocabulary
    (`alphabet`) `train()` extends, <unk> for a symbol outside it, and RDKit's canonical SMILES
    first with `canonical=True`. Lossless by default: a symbol the training half never showed (a
    rare bracket atom) falls back to its UTF-8 bytes (`fallback="bytes"`), so decode(encode(x)) == x
    for every SMILES; `fallback="unk"` maps it to <unk> as files saved before the fallback did.
    Saved as the vocabulary in id order under `saved_as`, so those files load with the same ids."""

    sample_description: ClassVar[str] = "SMILES strings"
    saved_as: ClassVar[str]  # the config key of the vocabulary: "tokens" or "chars"
    learn = True

    def __init__(self, saved: list[str] | None, vocab_size: int | None, min_freq: int, canonical: bool,
                 fallback: str):
        if fallback not in ("bytes", "unk"):
            raise ConfigError(f"fallback must be 'bytes' or 'unk', got {fallback!r}")
        _check_options(vocab_size, min_freq, len(self.alphabet or ()) + (256 if fallback == "bytes" else 0), canonical)
        self.canonical = canonical
        super().__init__(min_freq=min_freq, max_size=vocab_size, vocab=saved, fallback=fallback)

    @property
    def vocab(self) -> Vocab | None:
        """The vocabulary as a `polyseq.Vocab` (same ids), None before training."""
        return Vocab(self.vocab_symbols()) if self.is_trained else None

    def train(self, samples: Iterable[str], vocab_size: int | None = None) -> None:
        _check_options(vocab_size, self.min_freq, len(self.alphabet or ()), self.canonical)
        super().train((self.normalize(s) for s in samples), vocab_size)  # one pass: not a list of the corpus

    def normalize(self, sample: str) -> str:
        return _normalize(_require_str(sample, self.type_name), self.canonical)

    def encode(self, sample: str) -> list[int]:
        return LookupTokenizer.encode(self, self.normalize(sample) if self.canonical else sample)

    def encode_with_offsets(self, sample: str) -> tuple[list[int], list[Span]]:
        _no_canonical_offsets(self)
        return super().encode_with_offsets(sample)

    def to_config(self) -> dict[str, Any]:
        return {self.saved_as: self.vocab_symbols(), "min_freq": self.min_freq, "canonical": self.canonical,
                "fallback": self.fallback}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Any:
        # files written before the byte fallback have no "fallback": they mapped unseen symbols to <unk>
        return cls(config[cls.saved_as], min_freq=config.get("min_freq", 1), canonical=config.get("canonical", False),
                   fallback=config.get("fallback", "unk"))


class AtomTokenizer(_SmilesLookup):
    """Atom-level SMILES tokens with the regex of the Molecular Transformer (Schwaller et al. 2019).

    Bracket atoms (`[C@@H]`, `[nH]`, `[N+]`) are one token each, as are `Cl`, `Br`, `%nn` ring
    closures, bonds, branches and stereo marks; decoding concatenates the tokens, so the round trip
    is exact on the string given. Where polyseq differs: the pattern also reads RDKit's `%(nnn)`
    closures, and a character it does not cover (e.g. a space) becomes a token of its own, which
    encodes to <unk> unless training saw it - the reference `re.findall` drops such characters
    silently. The vocabulary is a fixed base (organic-subset atoms, bonds, digits) plus what
    `train()` finds, so a model can always write any ring digit or bond.
    """

    type_name: ClassVar[str] = "smiles.atom"
    saved_as: ClassVar[str] = "tokens"
    alphabet = BASE_ATOMS
    symbols = ATOM_PATTERN

    def __init__(self, tokens: Iterable[str] | None = None, vocab_size: int | None = None, min_freq: int = 1,
                 canonical: bool = False, fallback: str = "bytes"):
        super().__init__(_token_list(tokens, "tokens"), vocab_size, min_freq, canonical, fallback)


class SmilesCharTokenizer(_SmilesLookup):
    """One token per character of the SMILES string (char-RNN molecule generators, Segler et al. 2018).

    Follows the core `char` tokenizer; where polyseq differs: the vocabulary starts from the
    characters of every base SMILES atom and bond (so `Cl` is `C` + `l`, both always known), and
    `canonical=True` rewrites the SMILES with RDKit first. Unseen characters encode to <unk>.
    """

    type_name: ClassVar[str] = "smiles.char"
    saved_as: ClassVar[str] = "chars"
    alphabet = BASE_CHARS

    def __init__(self, chars: Iterable[str] | None = None, vocab_size: int | None = None, min_freq: int = 1,
                 canonical: bool = False, fallback: str = "bytes"):
        chars = _token_list(chars, "chars")
        if chars is not None and any(len(c) != 1 for c in chars):
            raise ConfigError(f"chars must be single characters, got {[c for c in chars if len(c) != 1][:5]!r}")
        super().__init__(chars, vocab_size, min_freq, canonical, fallback)


class AtomBPETokenizer(TokenizerMixin):
    """Byte-pair merges learned over atom tokens, never splitting an atom (SMILES Pair Encoding, Li & Fourches 2021).

    Follows SMILES Pair Encoding: the atom-level regex first, then merges of frequent atom
    sequences. Where polyseq differs: merges are learned with Hugging Face `tokenizers` through the
    core's `SymbolBPE` (not SPE's own learner), over the atom vocabulary of `smiles.atom`; `vocab_size`
    counts everything (special + atoms + merges; default: 512, or the atom count if larger).
    """

    type_name: ClassVar[str] = "smiles.bpe"
    trainable: ClassVar[bool] = True

    def __init__(self, vocab_size: int | None = None, min_frequency: int = 2, canonical: bool = False,
                 atoms: Iterable[str] | None = None, merges: Mapping[str, Any] | None = None):
        _check_options(vocab_size, 1, len(BASE_ATOMS), canonical)
        if not isinstance(min_frequency, int) or min_frequency < 1:
            raise ConfigError(f"min_frequency must be an integer >= 1, got {min_frequency!r}")
        if (atoms is None) != (merges is None):
            raise ConfigError("atoms and merges are given together (they come from a saved tokenizer), or neither")
        self.max_vocab, self.min_frequency, self.canonical = vocab_size, min_frequency, canonical
        self.atoms: AtomTokenizer | None = None
        self.bpe: Any = None
        if atoms is not None and merges is not None:
            from polyseq import SymbolBPE

            self.atoms = AtomTokenizer(tokens=atoms, canonical=canonical, fallback="unk")
            self.bpe = SymbolBPE.from_config(dict(merges))

    @property
    def is_trained(self) -> bool:
        return self.bpe is not None

    def train(self, samples: Iterable[str], vocab_size: int | None = None) -> None:
        from polyseq import SymbolBPE

        if iter(samples) is samples:  # a one-shot iterator: held, since the merges take a second pass
            samples = list(samples)

        def normalized() -> Iterator[str]:  # one pass over the corpus, never a list of it
            return (self.normalize(_require_str(s, self.type_name)) for s in samples)

        atoms = AtomTokenizer(canonical=False, fallback="unk")  # fed normalised samples
        atoms.train(normalized())
        n_base = atoms.vocab_size
        self.bpe = SymbolBPE.train((atoms.encode(s) for s in normalized()), n_base,
                                   vocab_size or self.max_vocab or max(512, n_base), self.min_frequency)
        self.atoms = AtomTokenizer(tokens=atoms.to_config()["tokens"], canonical=self.canonical, fallback="unk")

    def _parts(self) -> tuple[AtomTokenizer, Any]:
        if self.atoms is None or self.bpe is None:
            raise PolyseqError("the smiles.bpe tokenizer has no merges yet: call train(samples) first")
        return self.atoms, self.bpe

    @property
    def vocab_size(self) -> int:
        return self._parts()[1].vocab_size

    def normalize(self, sample: str) -> str:
        return _normalize(sample, self.canonical)

    def encode(self, sample: str) -> list[int]:
        atoms, bpe = self._parts()
        return bpe.encode(atoms.encode(_require_str(sample, self.type_name)))

    def encode_with_offsets(self, sample: str) -> tuple[list[int], list[Span]]:
        _no_canonical_offsets(self)
        atoms, bpe = self._parts()
        atom_ids, atom_spans = atoms.encode_with_offsets(sample)
        ids, runs = bpe.encode_with_offsets(atom_ids)  # runs of atoms: [first, last + 1)
        return ids, [(atom_spans[a][0], atom_spans[b - 1][1]) for a, b in runs]

    def decode(self, ids: Sequence[int]) -> str:
        atoms, bpe = self._parts()
        return atoms.decode(bpe.decode(ids))

    def id_to_token(self, i: int) -> str:
        atoms, bpe = self._parts()
        if 0 <= i < N_SPECIAL:
            return SPECIAL_TOKENS[i]
        pieces = bpe.pieces(i)
        return "".join(atoms.id_to_token(b) for b in pieces) if pieces else SPECIAL_TOKENS[UNK_ID]

    def to_config(self) -> dict[str, Any]:
        atoms, bpe = self._parts()
        return {"atoms": atoms.to_config()["tokens"], "merges": bpe.to_config(), "min_frequency": self.min_frequency,
                "canonical": self.canonical}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AtomBPETokenizer:
        return cls(atoms=config["atoms"], merges=config["merges"], min_frequency=config.get("min_frequency", 2),
                   canonical=config.get("canonical", False))


SELFIES_EXTRA = ("the 'selfies' tokenizer needs the selfies package: pip install 'polyseq[selfies]' "
                 "(or pip install selfies)")


def _selfies() -> Any:
    try:
        import selfies
    except ImportError as e:
        raise PolyseqError(f"{SELFIES_EXTRA}. ({type(e).__name__}: {e})") from None
    return selfies


class SelfiesTokenizer(TokenizerMixin):
    """SELFIES symbols (Krenn et al., Mach. Learn.: Sci. Technol. 2020), via the `selfies` package.

    A SMILES is encoded to SELFIES (`selfies.encoder`) and split into its bracketed symbols; any
    symbol string decodes to a valid molecule. Where polyseq differs: samples stay SMILES, so
    `decode` returns RDKit's canonical SMILES of the decoded molecule and `normalize()` is the
    canonical SMILES of the input (the string itself is not kept, the molecule is); <unk> cannot be
    placed in a molecule, so `decode` leaves it out. The vocabulary is selfies' semantic-robust
    alphabet plus the symbols `train()` finds. Needs the `selfies` extra. It gives no token
    offsets: SELFIES symbols re-encode the molecule graph (kekulised, rings and branches as
    counts), so many have no characters of the SMILES to point to.
    """

    type_name: ClassVar[str] = "smiles.selfies"
    trainable: ClassVar[bool] = True

    def __init__(self, symbols: Iterable[str] | None = None, vocab_size: int | None = None, min_freq: int = 1):
        self._sf = _selfies()
        self.base = tuple(sorted(self._sf.get_semantic_robust_alphabet()))
        _check_options(vocab_size, min_freq, len(self.base), False)
        self.max_vocab, self.min_freq = vocab_size, min_freq
        symbols = _token_list(symbols, "symbols")
        self.vocab: Vocab | None = None if symbols is None else Vocab([*symbols, *self.base])

    @property
    def is_trained(self) -> bool:
        return self.vocab is not None

    def _symbols(self, smiles: str) -> list[str]:
        if not _require_str(smiles, self.type_name):
            return []
        try:
            return list(self._sf.split_selfies(self._sf.encoder(smiles)))
        except Exception as e:  # selfies.EncoderError and the parser errors under it
            raise PolyseqError(f"selfies cannot encode {smiles!r}: {str(e).splitlines()[0]}") from None

    def train(self, samples: Iterable[str], vocab_size: int | None = None) -> None:
        _check_options(vocab_size, self.min_freq, len(self.base), False)
        counts: Counter[str] = Counter()
        for s in samples:
            counts.update(self._symbols(s))
        self.vocab = _learn(counts, self.base, vocab_size or self.max_vocab, self.min_freq)

    @property
    def vocab_size(self) -> int:
        return len(_trained(self.vocab, self.type_name).itos)

    def normalize(self, sample: str) -> str:
        return _normalize(sample, True)

    def encode(self, sample: str) -> list[int]:
        return _trained(self.vocab, self.type_name).lookup(self._symbols(sample))

    def decode(self, ids: Sequence[int]) -> str:
        vocab = _trained(self.vocab, self.type_name)
        symbols = [t for t in vocab.decode(ids, self.unk_text) if t != self.unk_text]
        if not symbols:
            return ""
        from polyseq_smiles.chem import canonical_or_none

        smiles = self._sf.decoder("".join(symbols))
        return canonical_or_none(smiles) or smiles

    def id_to_token(self, i: int) -> str:
        itos = _trained(self.vocab, self.type_name).itos
        return itos[i] if 0 <= i < len(itos) else SPECIAL_TOKENS[UNK_ID]

    def to_config(self) -> dict[str, Any]:
        return {"symbols": _trained(self.vocab, self.type_name).content_tokens(), "min_freq": self.min_freq}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SelfiesTokenizer:
        return cls(symbols=config["symbols"], min_freq=config.get("min_freq", 1))
