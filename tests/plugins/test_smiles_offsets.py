"""Token offsets of the SMILES tokenizers: atoms, characters and merged atoms cover the whole string."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from polyseq import get_domain
from polyseq.errors import ConfigError
from polyseq.testing import covered_text, prepare_tokenizer
from polyseq.tokenizers import token_offsets
from polyseq.tokenizers.base import UNK_ID
from polyseq.tokenizers.offsets import offset_problems
from polyseq_smiles.tokenizers import atom_split

SMILES = st.one_of(
    st.text(alphabet="CcNnOo()=#123%[]@H+-ClBrs/\\.", max_size=40),
    st.text(max_size=15),  # spaces, unknown characters, non-ASCII
)
NAMES = ["atom", "char", "bpe"]


@pytest.fixture(scope="module", params=NAMES, ids=NAMES)
def tok(request):
    domain = get_domain("smiles")
    return prepare_tokenizer(domain.make_tokenizer(request.param), list(domain.examples))


@given(sample=SMILES)
def test_offsets_cover_the_whole_smiles(tok, sample):
    ids, spans = tok.encode_with_offsets(sample)
    assert ids == tok.encode(sample)
    assert offset_problems(len(sample), ids, spans) == []
    assert covered_text(sample, spans) == sample
    for i, (s, e) in zip(ids, spans):
        # a symbol outside the vocabulary is its UTF-8 bytes, each spanning its character
        token = tok.id_to_token(i)
        assert e > s and (i == UNK_ID or token == sample[s:e] or token.startswith("<0x") and e - s == 1)


@given(sample=SMILES)
def test_atom_spans_are_the_atoms_the_regex_reads(sample):
    tok = prepare_tokenizer(get_domain("smiles").make_tokenizer("atom", fallback="unk"), ["CCO"])
    _, spans = tok.encode_with_offsets(sample)
    assert [sample[s:e] for s, e in spans] == atom_split(sample)


def test_bpe_token_spans_its_merged_atoms():
    tok = prepare_tokenizer(get_domain("smiles").make_tokenizer("bpe", vocab_size=80), ["CC(=O)Oc1ccccc1C(=O)O"] * 5)
    ids, spans = tok.encode_with_offsets("CC(=O)O[C@@H]")
    assert ids[-1] == UNK_ID and spans[-1] == (7, 13)  # a bracket atom this vocabulary lacks: one <unk>
    assert [tok.id_to_token(i) for i in ids[:-1]] == ["CC(=O)O"[s:e] for s, e in spans[:-1]]
    assert len(ids) < 8  # atoms were merged


@pytest.mark.parametrize("name", NAMES, ids=NAMES)
def test_canonical_tokenizers_say_they_give_no_offsets(name):
    tok = prepare_tokenizer(get_domain("smiles").make_tokenizer(name, canonical=True), ["CCO", "OCC"])
    with pytest.raises(ConfigError, match=rf"'smiles.{name}' with canonical=True gives no token offsets.*canonical=false"):
        token_offsets(tok, "OCC")


def test_selfies_gives_no_offsets():  # selfies is in the dev extra: no skip
    tok = prepare_tokenizer(get_domain("smiles").make_tokenizer("selfies"), ["CCO"])
    with pytest.raises(ConfigError, match="tokenizer 'smiles.selfies' gives no token offsets"):
        token_offsets(tok, "CCO")
