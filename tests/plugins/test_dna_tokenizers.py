"""DNA tokenizers: round-trip properties on random DNA, DNABERT parity, unknowns, option errors."""

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import polyseq
from polyseq import ConfigError, PolyseqError
from polyseq.tokenizers.base import N_SPECIAL, UNK_ID
from polyseq_dna.tokenizers import FIRST_MERGED_ID, BPETokenizer, KmerTokenizer, NucleotideTokenizer

ACGT = st.text(alphabet="ACGT", max_size=200)
DNA = st.text(alphabet="ACGTNacgtn", max_size=200)
IUPAC = st.text(alphabet="ACGTNRYSWKMBDHVacgtnryswkmbdhv", max_size=200)


# ---- round-trip properties ----------------------------------------------------------------------


@given(IUPAC)
def test_nucleotide_round_trip(seq):
    tok = NucleotideTokenizer()
    assert tok.decode(tok.encode(seq)) == tok.normalize(seq) == seq.upper().translate(str.maketrans("RYSWKMBDHV", "N" * 10))


@given(st.text(alphabet="ACGTUNRYSWKMBDHVacgtunryswkmbdhv", max_size=200))
def test_nucleotide_with_every_option_is_exact(seq):
    tok = NucleotideTokenizer(iupac=True, rna=True, soft_mask="keep")
    assert tok.decode(tok.encode(seq)) == seq
    assert tok.replaced == {}


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6, 7, 8])
@pytest.mark.parametrize("overlap", [True, False], ids=["overlap", "nonoverlap"])
@settings(max_examples=25, deadline=None)
@given(seq=IUPAC)
def test_kmer_round_trip(k, overlap, seq):
    tok = KmerTokenizer(k=k, overlap=overlap)
    ids = tok.encode(seq)
    assert tok.decode(ids) == tok.normalize(seq)
    assert all(N_SPECIAL <= i < tok.vocab_size for i in ids)
    assert ids == tok.encode_array(seq).tolist()


@pytest.mark.parametrize("k", [3, 6])
@given(seq=ACGT)
def test_overlapping_kmers_are_dnaberts(k, seq):
    """On A/C/G/T, the tokens are DNABERT's: every k-mer at every start."""
    tok = KmerTokenizer(k=k)
    expected = [seq[i : i + k] for i in range(len(seq) - k + 1)] if len(seq) >= k else list(seq)
    assert tok.tokens(seq) == expected


@given(seq=ACGT, k=st.integers(1, 8))
def test_nonoverlapping_remainder_is_single_nucleotides(seq, k):
    tok = KmerTokenizer(k=k, overlap=False)
    m = len(seq) // k
    assert tok.tokens(seq) == [seq[i * k : (i + 1) * k] for i in range(m)] + list(seq[m * k :])


@settings(max_examples=30, deadline=None)
@given(st.lists(DNA, min_size=1, max_size=5), DNA)
def test_bpe_round_trip(train, seq):
    tok = BPETokenizer(vocab_size=40, min_frequency=1)
    tok.train(train + ["ACGTACGTTTGACCA" * 3])
    assert tok.decode(tok.encode(seq)) == tok.normalize(seq)


def test_kmer_matches_a_naive_implementation_on_a_long_sequence():
    rng = random.Random(1)
    seq = "".join(rng.choices("ACGT", k=20_000))
    vocab = {"".join(p): FIRST_MERGED_ID + i for i, p in enumerate(itertools.product("ACGT", repeat=6))}
    assert KmerTokenizer(k=6).encode(seq) == [vocab[seq[i : i + 6]] for i in range(len(seq) - 5)]


# ---- N, ambiguity codes and unknown characters ----------------------------------------------------


def test_kmers_with_n_fall_back_to_single_nucleotides():
    tok = KmerTokenizer(k=3)
    assert tok.tokens("ACGNTTA") == ["ACG", "C", "G", "N", "TTA"]
    assert tok.tokens("ACGTN") == ["ACG", "CGT", "G", "T", "N"]  # last k-mer has N: its tail follows
    assert tok.decode(tok.encode("ACGTN")) == "ACGTN"
    assert KmerTokenizer(k=3, overlap=False).tokens("ACGNTTAC") == ["ACG", "N", "T", "T", "A", "C"]


def test_ambiguity_codes_become_n_and_other_characters_unk_and_both_are_counted():
    tok = KmerTokenizer(k=2)
    ids = tok.encode("ACRY-x")
    assert tok.decode(ids) == "ACNN\ufffd\ufffd"
    assert UNK_ID in ids
    assert tok.replaced == {"R": 1, "Y": 1, "-": 1, "x": 1}
    nuc = NucleotideTokenizer()
    assert nuc.decode(nuc.encode("acgU\u2603R")) == "ACG\ufffd\ufffdN"
    assert nuc.replaced == {"U": 1, "\u2603": 1, "R": 1}


def test_ambiguous_unk_option_maps_codes_to_unk():
    tok = NucleotideTokenizer(ambiguous="unk")
    assert tok.encode("R") == [UNK_ID]
    assert KmerTokenizer(k=1, ambiguous="unk").encode("ARN") == [FIRST_MERGED_ID, UNK_ID, N_SPECIAL + 4]


def test_soft_masking_folded_or_kept():
    assert NucleotideTokenizer().decode(NucleotideTokenizer().encode("acgTN")) == "ACGTN"
    keep = NucleotideTokenizer(soft_mask="keep")
    assert keep.decode(keep.encode("acgTN")) == "acgTN"
    assert keep.normalize("acgr") == "acgn"
    assert keep.vocab_size == N_SPECIAL + 10


def test_rna_option_adds_u():
    tok = NucleotideTokenizer(rna=True)
    assert tok.decode(tok.encode("ACGU")) == "ACGU" and tok.replaced == {}


def test_decode_of_generated_ids_never_fails():
    for tok in (KmerTokenizer(k=4), KmerTokenizer(k=4, overlap=False), NucleotideTokenizer()):
        text = tok.decode([0, 2, 1, 99999, -5, 7, 3, 4, 5, 6, 8])
        assert isinstance(text, str) and "\ufffd" in text


# ---- options and errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("kmer", {"k": 9}, "k must be in 1..8, got 9"),
        ("kmer", {"k": 0}, "k must be in 1..8, got 0"),
        ("kmer", {"overlap": "yes"}, "overlap must be True or False, got 'yes'"),
        ("nucleotide", {"soft_mask": "lower"}, "soft_mask must be 'fold' or 'keep', got 'lower'"),
        ("nucleotide", {"ambiguous": "X"}, "ambiguous must be 'N' or 'unk', got 'X'"),
        ("bpe", {"vocab_size": 5}, "vocab_size must be an integer >= 12"),
        ("bpe", {"min_frequency": 0}, "min_frequency must be an integer >= 1, got 0"),
    ],
)
def test_invalid_options_name_the_option_the_rule_and_the_value(name, options, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        polyseq.get_domain("dna").make_tokenizer(name, **options)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as info:
        NucleotideTokenizer(iupac="no", soft_mask="x")
    assert len(info.value.problems) == 2


def test_untrained_bpe_says_what_to_do():
    with pytest.raises(PolyseqError, match="call train"):
        BPETokenizer().encode("ACGT")
    assert BPETokenizer.trainable and not BPETokenizer().is_trained


def test_non_string_sample_is_a_clear_error():
    with pytest.raises(PolyseqError, match="encodes DNA strings, got list"):
        KmerTokenizer().encode(["A"])


def test_type_names_match_domain_keys():
    domain = polyseq.get_domain("dna")
    for name in domain.tokenizers:
        assert domain.tokenizer_class(name).type_name == f"dna.{name}"
