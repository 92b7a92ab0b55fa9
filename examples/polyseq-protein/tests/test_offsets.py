from hypothesis import given
from hypothesis import strategies as st

from polyseq.testing import covered_text
from polyseq.tokenizers.offsets import offset_problems
from polyseq_protein.tokenizers import ResidueTokenizer


@given(st.one_of(st.text(alphabet="ACDEFGHIKLMNPQRSTVWYXacdefxyz*-", max_size=40), st.text(max_size=20)))
def test_each_residue_token_spans_its_character(sample):
    tok = ResidueTokenizer()
    ids, spans = tok.encode_with_offsets(sample)
    assert ids == tok.encode(sample)
    assert offset_problems(len(sample), ids, spans) == []
    assert covered_text(sample, spans) == sample


def test_a_character_that_upper_cases_to_two_gives_both_tokens_its_span():
    assert ResidueTokenizer().encode_with_offsets("aßk")[1] == [(0, 1), (1, 2), (1, 2), (2, 3)]
