"""Token offsets of the DNA tokenizers: every character is covered; k-mers span [i*stride, i*stride + k)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from polyseq.testing import covered_text, prepare_tokenizer
from polyseq.tokenizers.offsets import offset_problems
from polyseq_dna import EXAMPLES
from polyseq_dna.tokenizers import BPETokenizer, KmerTokenizer, NucleotideTokenizer

ACGT = st.text(alphabet="ACGTacgt", max_size=40)
ANY = st.text(alphabet="ACGTNacgtnRYWu-.x\u2603", max_size=40)  # codes, gaps, soft-masking, non-ASCII

PARTITIONING = {
    "nucleotide": lambda: NucleotideTokenizer(),
    "nucleotide-all-options": lambda: NucleotideTokenizer(iupac=True, rna=True, soft_mask="keep"),
    "kmer-k3-nonoverlap": lambda: KmerTokenizer(k=3, overlap=False),
    "kmer-k5-nonoverlap-unk": lambda: KmerTokenizer(k=5, overlap=False, ambiguous="unk"),
    "bpe-32": lambda: prepare_tokenizer(BPETokenizer(vocab_size=32, min_frequency=1), list(EXAMPLES)),
}


@pytest.fixture(scope="module", params=list(PARTITIONING), ids=list(PARTITIONING))
def partitioning(request):
    return PARTITIONING[request.param]()


@given(sample=ANY)
def test_partitioning_tokenizers_cover_every_character_once(partitioning, sample):
    ids, spans = partitioning.encode_with_offsets(sample)
    assert ids == partitioning.encode(sample)
    assert offset_problems(len(sample), ids, spans) == []
    assert covered_text(sample, spans) == sample


@given(sample=ACGT)
def test_nonoverlapping_kmers_of_acgt_span_k_characters_each(sample):
    tok = KmerTokenizer(k=3, overlap=False)
    ids, spans = tok.encode_with_offsets(sample)
    whole = len(sample) // 3
    assert spans == [(3 * i, 3 * i + 3) for i in range(whole)] + [(j, j + 1) for j in range(3 * whole, len(sample))]


@pytest.mark.parametrize("k", [1, 3, 6], ids=["k1", "k3", "k6"])
@given(sample=ACGT)
def test_overlapping_kmers_of_acgt_span_i_to_i_plus_k(k, sample):
    tok = KmerTokenizer(k=k)
    ids, spans = tok.encode_with_offsets(sample)
    assert ids == tok.encode(sample)
    if len(sample) >= k:
        assert spans == [(i, i + k) for i in range(len(sample) - k + 1)]
    else:
        assert spans == [(i, i + 1) for i in range(len(sample))]


@pytest.mark.parametrize("k", [2, 4], ids=["k2", "k4"])
@given(sample=ANY)
def test_overlapping_kmers_with_other_characters_give_single_tokens_their_one_character(k, sample):
    tok = KmerTokenizer(k=k)
    ids, spans = tok.encode_with_offsets(sample)
    assert ids == tok.encode(sample)
    assert offset_problems(len(sample), ids, spans) == []
    for (s, e), token in zip(spans, tok.tokens(sample)):
        assert e - s == len(token) or token == "<unk>" and e - s == 1
        assert token == "<unk>" or tok.normalize(sample[s:e]) == token
    assert set().union(*(range(s, e) for s, e in spans)) == set(range(len(sample)))


def test_kmer_offsets_on_a_worked_example():
    tok = KmerTokenizer(k=3)
    assert tok.encode_with_offsets("ACGNTA")[1] == [(0, 3), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6)]
    tok = KmerTokenizer(k=2, overlap=False)
    assert tok.encode_with_offsets("ACNGTAC")[1] == [(0, 2), (2, 3), (3, 4), (4, 6), (6, 7)]
