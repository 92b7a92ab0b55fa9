"""The tokenizer building blocks a domain configures: LookupTokenizer, KmerTokenizer, TrackTokenizer."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import polyseq
from polyseq import (
    N_SPECIAL,
    UNK_ID,
    Annotated,
    ConfigError,
    Domain,
    KmerTokenizer,
    LookupTokenizer,
    PolyseqError,
    TokenizerFormatError,
    TrackTokenizer,
    hookimpl,
    offset_problems,
)
from polyseq import plugins as plugin_manager
from polyseq.testing import TokenizerChecks, covered_text

FAST = settings(max_examples=40, deadline=None)
BRACKET_ATOMS = r"\[[^\]]+]|Cl|Br"


def reloaded(tok):
    """`tok` written as a tokenizer file's JSON and read back through the registry."""
    from polyseq.tokenizers.serialization import tokenizer_from_dict, tokenizer_to_dict

    return tokenizer_from_dict(json.loads(json.dumps(tokenizer_to_dict(tok))))


def check_offsets(tok, sample, partition=True):
    ids, spans = tok.encode_with_offsets(sample)
    assert ids == tok.encode(sample)
    assert offset_problems(len(sample), ids, spans) == []
    if partition:
        assert covered_text(sample, spans) == sample
    return ids, spans


# ---- LookupTokenizer ---------------------------------------------------------------------------------

LOOKUPS = {
    "characters": {},
    "lower-case": {"fold_case": "lower"},
    "words": {"symbols": r"\w+"},
    "alphabet-then-learned": {"alphabet": ["ab", "c"], "learn": True, "replace": {"\t": " "}},
}


@pytest.mark.parametrize("options", list(LOOKUPS.values()), ids=list(LOOKUPS))
@FAST
@given(train=st.lists(st.text(max_size=30), max_size=5), text=st.text(max_size=40))
def test_a_learned_vocabulary_round_trips_any_text_unseen_symbols_and_emoji_included(options, train, text):
    tok = LookupTokenizer(**options)
    tok.train([*train, "hello 🧬 world"])
    for sample in (text, text + "🧬🦀", "unseen: \u2603 \U0001f600 \x00"):
        ids, spans = check_offsets(tok, sample)
        assert all(0 <= i < tok.vocab_size for i in ids) and UNK_ID not in ids
        assert tok.decode(ids) == tok.normalize(sample)
        assert len(tok.tokens(sample)) == len(ids)
        assert tok.encode_array(sample).tolist() == ids


def test_byte_tokens_have_the_ids_of_the_bytes_tokenizer_and_hf_names():
    tok = LookupTokenizer()
    tok.train(["abc"])
    assert tok.vocab_size == N_SPECIAL + 256 + 3
    assert tok.encode("é") == [N_SPECIAL + 0xC3, N_SPECIAL + 0xA9] == polyseq.ByteTokenizer().encode("é")
    assert tok.tokens("aé") == ["a", "<0xC3>", "<0xA9>"]
    assert tok.encode_with_offsets("aé")[1] == [(0, 1), (1, 2), (1, 2)]  # both bytes of é: its span
    assert tok.decode([N_SPECIAL + 0xC3]) == "\ufffd"  # half a character: replaced, never an error


def test_a_smiles_like_learned_tokenizer_decodes_a_bracket_atom_it_never_saw():
    tok = LookupTokenizer(symbols=BRACKET_ATOMS)
    tok.train(["CC(=O)O", "c1ccccc1Cl", "C[NH3+]", "CBr"])
    smiles = "C[Fe@@H+2]Cl"
    assert "[Fe@@H+2]" not in tok.vocab_symbols()
    ids, spans = check_offsets(tok, smiles)
    assert tok.decode(ids) == smiles
    assert tok.tokens(smiles)[0] == "C" and tok.tokens(smiles)[-1] == "Cl"
    assert tok.tokens(smiles)[1:-1] == [f"<0x{b:02X}>" for b in b"[Fe@@H+2]"]
    assert spans[1:-1] == [(i, i + 1) for i in range(1, 10)]
    tok.replaced.clear()
    tok.encode(smiles)
    assert tok.replaced == {"[Fe@@H+2]": 1}


def test_a_fixed_alphabet_is_a_few_class_attributes():
    class Nucleotide(LookupTokenizer):
        type_name = "rna.nucleotide"
        alphabet = "ACGU"
        fold_case = "upper"

    tok = Nucleotide()
    assert tok.is_trained and tok.fallback == "unk" and tok.vocab_size == N_SPECIAL + 4
    assert tok.tokens("acgU") == ["A", "C", "G", "U"]
    assert tok.normalize("acgu") == "ACGU" and tok.decode(tok.encode("acgu")) == "ACGU"
    assert tok.encode("ACTx") == [N_SPECIAL, N_SPECIAL + 1, UNK_ID, UNK_ID]
    assert tok.replaced == {"T": 1, "x": 1}
    assert Nucleotide(fallback="bytes").decode(Nucleotide(fallback="bytes").encode("ACTx")) == "ACTX"
    tok.train(["GGGG"])  # a fixed alphabet has nothing to learn
    assert tok.vocab_symbols() == list("ACGU")


def test_case_folding_keeps_every_character_one_character():
    tok = LookupTokenizer(fold_case="upper")
    tok.train(["abc"])
    assert tok.normalize("straße ſ ς é") == "STRAßE ſ ς É"  # ß, ſ and ς have no one-to-one upper case
    lower = LookupTokenizer(fold_case="lower")
    lower.train(["ABC"])
    assert lower.normalize("ABC \u212a \u0130 Σ") == "abc \u212a \u0130 σ"  # Kelvin sign, dotted I kept


def test_a_vocabulary_cap_keeps_the_most_frequent_symbols():
    tok = LookupTokenizer(alphabet="z", learn=True, fallback="unk", max_size=N_SPECIAL + 3)
    tok.train(["aaab", "abc"])
    assert tok.vocab_symbols() == ["z", "a", "b"]
    assert tok.encode("c") == [UNK_ID]
    tok.train(["aaab", "abcc"], vocab_size=N_SPECIAL + 4)
    assert tok.vocab_symbols() == ["z", "a", "b", "c"]
    rare = LookupTokenizer(min_freq=2)
    rare.train(["aab"])
    assert rare.vocab_symbols() == ["a"] and rare.decode(rare.encode("ab")) == "ab"


def test_a_saved_vocabulary_keeps_its_order_and_a_longer_alphabet_goes_after_it():
    tok = LookupTokenizer(alphabet="ab", learn=True, vocab=["x", "a", "y"])
    assert tok.vocab_symbols() == ["x", "a", "y", "b"]


def test_untrained_learned_vocabulary_says_what_to_do():
    with pytest.raises(PolyseqError, match=r"call train\(samples\)"):
        LookupTokenizer().encode("x")
    with pytest.raises(PolyseqError, match="encodes strings, got list"):
        LookupTokenizer(alphabet="a").encode(["a"])


# ---- KmerTokenizer -------------------------------------------------------------------------------


def naive_kmers(symbols, alphabet, extra, k, stride):
    """The documented rule, the slow way: (token, start, end) per token."""
    def single(i):
        return (symbols[i] if symbols[i] in alphabet or symbols[i] in extra else "<unk>", i, i + 1)

    if len(symbols) < k:
        return [single(i) for i in range(len(symbols))]
    last = (len(symbols) - k) // stride * stride
    out = []
    for start in range(0, last + 1, stride):
        window = symbols[start : start + k]
        if all(s in alphabet for s in window):
            out.append(("".join(window), start, start + k))
        else:
            out += [single(i) for i in range(start, start + (k if start == last else stride))]
    return out + [single(i) for i in range(last + k, len(symbols))]


@st.composite
def kmer_cases(draw, symbols="ACGTNacgtx-\u2603"):
    k = draw(st.integers(1, 6))
    stride = draw(st.sampled_from(sorted({1, k, draw(st.integers(1, k))})))
    length = draw(st.one_of(st.integers(0, k + 2), st.integers(k + 3, 120)))
    clean = draw(st.booleans())  # half the samples: alphabet symbols only
    letters = st.sampled_from("ACGT" if clean else symbols)
    return k, stride, "".join(draw(st.lists(letters, min_size=length, max_size=length)))


@settings(max_examples=200, deadline=None)
@given(case=kmer_cases())
def test_kmers_follow_the_documented_rule_and_round_trip_every_length(case):
    k, stride, sample = case
    tok = KmerTokenizer("ACGT", k=k, stride=stride, extra="N", fold_case="upper")
    normal = tok.normalize(sample)
    expected = naive_kmers(list(normal), "ACGT", "N", k, stride)
    assert tok.tokens(sample) == [t for t, _, _ in expected]
    ids, spans = check_offsets(tok, sample, partition=stride == k)
    assert spans == [(s, e) for _, s, e in expected]
    assert tok.encode_array(sample).tolist() == ids and all(N_SPECIAL <= i < tok.vocab_size or i == UNK_ID for i in ids)
    assert tok.decode(ids) == "".join(c if c in "ACGTN" else "\ufffd" for c in normal)
    if set(normal) <= set("ACGTN"):
        assert tok.decode(ids) == normal


@pytest.mark.parametrize("stride", [1, 2, 3], ids=["stride1", "stride2", "stride3"])
@FAST
@given(symbols=st.lists(st.sampled_from(["Ala", "Gly", "Ser", "Xaa", "?"]), max_size=30))
def test_kmers_of_multi_character_symbols(stride, symbols):
    tok = KmerTokenizer(["Ala", "Gly", "Ser"], k=3, stride=stride)
    sample = "".join(symbols)
    symbols = [piece for s in symbols for piece in ([s] if s in ("Ala", "Gly", "Ser") else s)]  # others: by character
    expected = naive_kmers(symbols, ["Ala", "Gly", "Ser"], [], 3, stride)
    assert tok.tokens(sample) == [t for t, _, _ in expected]
    starts = [sum(len(s) for s in symbols[:i]) for i in range(len(symbols) + 1)]
    _, spans = check_offsets(tok, sample, partition=stride == 3)
    assert spans == [(starts[s], starts[e]) for _, s, e in expected]
    assert tok.decode(tok.encode(sample)) == "".join(s if s in ("Ala", "Gly", "Ser") else "\ufffd" for s in symbols)


def test_kmer_ids_are_singles_then_kmers_in_product_order():
    tok = KmerTokenizer("ab", k=2, extra="n")
    assert [tok.id_to_token(i) for i in range(N_SPECIAL, tok.vocab_size)] == ["a", "b", "n", "aa", "ab", "ba", "bb"]
    assert tok.stride == 2 and tok.encode("abba") == [N_SPECIAL + 4, N_SPECIAL + 5]
    index, whole = tok.windows(tok.codes("abnab"))
    assert index.tolist()[:1] == [1] and whole.tolist() == [True, False]


def test_a_learned_alphabet_makes_kmers_of_any_text():
    tok = KmerTokenizer(k=2)
    assert not tok.is_trained
    with pytest.raises(PolyseqError, match=r"call train\(samples\)"):
        tok.encode("ab")
    tok.train(["hello world", "hola"])
    assert tok.alphabet[:3] == ("l", "o", "h")  # by frequency, ties by symbol
    assert tok.decode(tok.encode("hello")) == "hello" and tok.tokens("hello") == ["he", "ll", "o"]
    assert tok.encode("z") == [UNK_ID]
    small = KmerTokenizer(k=2)
    small.train(["hello world"], vocab_size=N_SPECIAL + 3 + 9)
    assert small.alphabet == ("l", "o", " ") and small.vocab_size == N_SPECIAL + 3 + 9


def test_decode_of_generated_ids_never_fails():
    for tok in (KmerTokenizer("ACGT", k=3, stride=1, extra="N"), KmerTokenizer("ACGT", k=3, stride=2),
                KmerTokenizer(["Ala", "Gly"], k=2)):
        text = tok.decode([0, 2, 1, 99999, -5, 7, 3, 4, 5, 6, 8, tok.vocab_size - 1, 12])
        assert isinstance(text, str) and "\ufffd" in text


# ---- TrackTokenizer ------------------------------------------------------------------------------


class Structure(TrackTokenizer):
    type_name = "rnatest.structure"
    alphabet = "ACGU"
    track_alphabet = "()."
    fold_case = "upper"


@st.composite
def annotated(draw, symbols="ACGUacgu", marks="().", odd=""):
    n = draw(st.integers(0, 40))
    return Annotated(draw(st.text(alphabet=symbols + odd, min_size=n, max_size=n)),
                     draw(st.text(alphabet=marks + odd, min_size=n, max_size=n)))


@FAST
@given(sample=annotated())
def test_track_pairs_round_trip_with_one_token_per_position(sample):
    tok = Structure()
    ids = tok.encode(sample)
    assert len(ids) == len(sample.sequence) and all(N_SPECIAL <= i < tok.vocab_size for i in ids)
    assert tok.decode(ids) == tok.normalize(sample) == Annotated(sample.sequence.upper(), sample.track)
    assert tok.encode_with_offsets(sample) == (ids, [(i, i + 1) for i in range(len(ids))])
    assert offset_problems(len(sample.sequence), *tok.encode_with_offsets(sample)) == []
    assert tok.encode(tuple(sample)) == ids


@FAST
@given(sample=annotated(odd="x"))
def test_track_positions_with_an_unknown_symbol_or_annotation_are_unk_in_both(sample):
    tok = Structure()
    ids = tok.encode(sample)
    back = tok.decode(ids)
    assert len(back.sequence) == len(back.track) == len(ids)
    for i, (s, t) in enumerate(zip(sample.sequence, sample.track)):
        assert (ids[i] == UNK_ID) == ("x" in (s, t))
        if ids[i] == UNK_ID:
            assert back.sequence[i] == back.track[i] == "\ufffd"


def test_track_vocabulary_is_the_product_in_order():
    tok = Structure()
    assert tok.vocab_size == N_SPECIAL + 12
    assert [tok.id_to_token(i) for i in range(N_SPECIAL, N_SPECIAL + 4)] == ["A|(", "A|)", "A|.", "C|("]
    assert tok.encode(Annotated("GA", ".(")) == [N_SPECIAL + 2 * 3 + 2, N_SPECIAL + 0]
    assert tok.encode(Annotated()) == [] and tok.decode([]) == Annotated()


def test_track_lengths_that_differ_name_both():
    with pytest.raises(PolyseqError, match="the sequence has 3 positions, the track 2"):
        Structure().encode(Annotated("ACG", ".."))
    with pytest.raises(PolyseqError, match=r"encodes Annotated\(sequence, track\) samples, got str"):
        Structure().encode("ACG")


# ---- saving every option ------------------------------------------------------------------------

SAVED = {
    "lookup": lambda: LookupTokenizer(["CL", "BR", "C"], learn=True, fold_case="upper", replace={"Q": "C"},
                                      symbols=r"\[[^\]]+]|CL|BR", fallback="unk", min_freq=2, max_size=30),
    "lookup-defaults": lambda: LookupTokenizer(),
    "kmer": lambda: KmerTokenizer("acgu", k=4, stride=2, fold_case="lower", extra="n", replace={"t": "u"}),
    "kmer-symbols": lambda: KmerTokenizer(["Ala", "Gly"], k=2, stride=1, extra=["Xaa", "?"], replace={"-": "?"}),
    "kmer-learned": lambda: KmerTokenizer(k=2, fold_case="upper"),
}
TEXTS = ["C[NH3+]Cl", "c[nH]cBr", "CCQ[O-]", "acgtnAC", "AlaGlyXaa", "[C@@H]CCl", "ACGUN-ACG"]


@pytest.mark.parametrize("name", list(SAVED), ids=list(SAVED))
def test_every_option_survives_save_and_load(name, tmp_path):
    tok = SAVED[name]()
    tok.train(TEXTS * 2)
    tok.save(tmp_path / "tok.json")
    loaded = polyseq.load_tokenizer(tmp_path / "tok.json")
    assert type(loaded) is type(tok) and loaded.to_config() == tok.to_config()
    for option in tok.to_config():
        if option != "vocab":
            assert getattr(loaded, option) == getattr(tok, option), option
    assert loaded.vocab_size == tok.vocab_size
    assert [loaded.encode(t) for t in TEXTS] == [tok.encode(t) for t in TEXTS]
    assert [loaded.decode(loaded.encode(t)) for t in TEXTS] == [tok.decode(tok.encode(t)) for t in TEXTS]


def test_track_options_survive_save_and_load():
    tok = Structure(alphabet="acgu", track_alphabet="<>-", fold_case="lower")
    back = type(tok).from_config(json.loads(json.dumps(tok.to_config())))
    assert back.to_config() == tok.to_config() == {"alphabet": "acgu", "track_alphabet": "<>-", "fold_case": "lower"}
    assert back.encode(Annotated("ACgu", "<>--")) == tok.encode(Annotated("ACgu", "<>--"))


@pytest.mark.parametrize(("cls", "config"), [
    (LookupTokenizer, LookupTokenizer(alphabet="ab").to_config()),
    (KmerTokenizer, KmerTokenizer("ab").to_config()),
    (Structure, Structure().to_config()),
], ids=["lookup", "kmer", "track"])
def test_a_config_missing_a_key_names_it(cls, config):
    for key in config:
        partial = {k: v for k, v in config.items() if k != key}
        with pytest.raises(TokenizerFormatError, match=f"no key '{key}'"):
            cls.from_config(partial)
    with pytest.raises(TokenizerFormatError, match="unknown key 'colour'"):
        cls.from_config({**config, "colour": "red"})


def test_the_core_blocks_load_by_type_name():
    assert type(reloaded(LookupTokenizer(alphabet="ab"))) is LookupTokenizer
    assert type(reloaded(KmerTokenizer("ab"))) is KmerTokenizer


class RnaPlugin:
    """A domain whose samples are sequences with a structure track, as a third party registers it."""

    @hookimpl
    def register_domains(self, register):
        register(Domain(name="rnatest", description="RNA with dot-bracket structure (a test domain)",
                        tokenizers={"structure": Structure}, default_tokenizer="structure",
                        readers={".txt": "tests_unused:reader"},
                        examples=(Annotated("GGAAACC", "((...))"), Annotated("acgu", "(..)"))))


@pytest.fixture
def rna_domain():
    name = plugin_manager.register(RnaPlugin(), name="rnatest-plugin")
    yield polyseq.get_domain("rnatest")
    plugin_manager.unregister(name)


def test_a_domain_track_tokenizer_loads_through_its_domain(rna_domain, tmp_path):
    tok = rna_domain.make_tokenizer()
    tok.save(tmp_path / "structure.json")
    assert type(polyseq.load_tokenizer(tmp_path / "structure.json")) is Structure


# ---- option errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "message"), [
    (lambda: LookupTokenizer(fold_case="title"), "fold_case must be None or 'upper' or 'lower', got 'title'"),
    (lambda: LookupTokenizer(fallback="drop"), "fallback must be 'bytes' or 'unk', got 'drop'"),
    (lambda: LookupTokenizer(alphabet="abca"), r"alphabet lists \['a'\] more than once"),
    (lambda: LookupTokenizer(alphabet="aB", fold_case="upper"), r"alphabet symbols \['a'\] are not in the case"),
    (lambda: LookupTokenizer(symbols="(a)"), "symbols must not capture"),
    (lambda: LookupTokenizer(symbols="a*"), "symbols must not match the empty string"),
    (lambda: LookupTokenizer(symbols="[a"), "symbols is not a valid regular expression"),
    (lambda: LookupTokenizer(min_freq=0), "min_freq must be an integer >= 1, got 0"),
    (lambda: LookupTokenizer(max_size=100), r"max_size must be an integer >= 263 \(7 special tokens \+ 256 byte"),
    (lambda: LookupTokenizer(learn=False), "alphabet is None and learn is False"),
    (lambda: LookupTokenizer(alphabet="AN", replace={"R": "X"}), r"replace maps to \['X'\], which the alphabet lacks"),
    (lambda: LookupTokenizer(replace={"ab": "c"}), "replace maps one character to one character"),
    (lambda: KmerTokenizer("ACGT", k=0), "k must be an integer >= 1, got 0"),
    (lambda: KmerTokenizer("ACGT", k=3, stride=4), "stride must be an integer in 1..k=3"),
    (lambda: KmerTokenizer("ACGT", extra="A"), r"extra symbols \['A'\] are also in the alphabet"),
    (lambda: KmerTokenizer("ACGT", k=13), "gives 67,108,864 k-mers; at most 16,777,216"),
    (lambda: KmerTokenizer(""), "alphabet must hold at least one symbol"),
    (lambda: Structure(track_alphabet=""), "track_alphabet must be a non-empty string"),
    (lambda: Structure(alphabet=["AC", "G"]), "alphabet must be a non-empty string"),
    (lambda: Structure(track_alphabet="(("), r"track_alphabet lists \['\('\] more than once"),
], ids=lambda x: None if callable(x) else x.split(" ")[0])
def test_bad_options_are_config_errors_that_name_the_option(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as info:
        LookupTokenizer(fold_case="x", fallback="y", min_freq=0)
    assert len(info.value.problems) == 3


@pytest.mark.parametrize("make", [
    lambda: LookupTokenizer(alphabet=["A", "<pad>"]),
    lambda: LookupTokenizer(alphabet=["<0x41>", "B"], fallback="bytes"),
    lambda: KmerTokenizer(["<unk>", "B"]),
], ids=["special", "byte-token", "kmer-special"])
def test_a_symbol_equal_to_a_vocabulary_token_is_a_collision_error(make):
    with pytest.raises(ConfigError, match=r"collide with tokens the vocabulary already has"):
        make()


def test_special_token_text_in_a_sample_is_text():
    tok = LookupTokenizer(symbols=r"<\w+>")
    tok.train(["<pad> <eos>"])
    assert "<pad>" not in tok.vocab_symbols()  # learned as text would shadow the special token: spelled in bytes
    ids = tok.encode("<pad>")
    assert min(ids) >= N_SPECIAL and tok.decode(ids) == "<pad>"
    assert LookupTokenizer(alphabet=["<0x41>"], fallback="unk").encode("<0x41>") == [N_SPECIAL]


# ---- the conformance kit over each block ---------------------------------------------------------


class TestLookupConformance(TokenizerChecks):
    @pytest.fixture
    def samples(self):
        return ["Hello, world!", "naïve café – 北京", "line one\nline two\r\n\ttabbed", "a", "🧬 ACGT"]

    @pytest.fixture(params=["learned", "smiles-like"])
    def tokenizer(self, request, samples):
        tok = LookupTokenizer() if request.param == "learned" else LookupTokenizer(symbols=BRACKET_ATOMS)
        tok.train(samples)
        return tok


class TestKmerConformance(TokenizerChecks):
    @pytest.fixture
    def samples(self):
        return ["ACGTACGTNN", "acgtn", "ACG", "", "NNNNACGTTTGCA", "ACGTRYACGT"]

    @pytest.fixture(params=[1, 2, 3])
    def tokenizer(self, request):
        return KmerTokenizer("ACGT", k=3, stride=request.param, extra="N", fold_case="upper",
                             replace=dict.fromkeys("RYSWKMBDHV", "N"))


class TestTrackConformance(TokenizerChecks):
    @pytest.fixture
    def samples(self, rna_domain):
        return list(rna_domain.examples)

    @pytest.fixture
    def unknown_sample(self):
        return Annotated("GGXAACC", "((.?.))")

    @pytest.fixture
    def tokenizer(self, rna_domain):
        return rna_domain.make_tokenizer()


def test_a_bare_track_tokenizer_saved_to_json_loads_by_its_type(tmp_path):
    tok = polyseq.TrackTokenizer(alphabet="ACGU", track_alphabet=".()")
    tok.save(tmp_path / "track.json")
    loaded = polyseq.load_tokenizer(tmp_path / "track.json")
    sample = polyseq.Annotated("GGAUCC", "((..))")
    assert type(loaded) is polyseq.TrackTokenizer and loaded.encode(sample) == tok.encode(sample)
