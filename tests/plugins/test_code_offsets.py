"""Token offsets of the code tokenizer: typed lexemes and BPE pieces cover every character, whitespace included."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from polyseq.testing import covered_text
from polyseq.tokenizers.offsets import offset_problems
from polyseq_code.examples import EXAMPLES, SNIPPETS
from polyseq_code.lexers import SourceCode
from polyseq_code.tokenizers import PygmentsBPETokenizer

ASCII_CODE = st.text(alphabet="def fib(n):\n    return n + 1  # x\r\n\t'\"[]{}=<>.,:", max_size=60)
ANY_CODE = st.one_of(ASCII_CODE, st.text(max_size=20), st.text(alphabet="x = 'é北🧬'\n#", max_size=30))


@pytest.fixture(scope="module")
def tok():
    tok = PygmentsBPETokenizer(vocab_size=400, max_lexemes=50, min_frequency=1)
    tok.train([*EXAMPLES, *SNIPPETS.values()])
    return tok


@given(sample=ASCII_CODE)
def test_ascii_tokens_partition_the_source_each_span_its_tokens_text(tok, sample):
    ids, spans = tok.encode_with_offsets(sample)
    assert ids == tok.encode(sample)
    assert offset_problems(len(sample), ids, spans) == []
    assert covered_text(sample, spans) == sample
    assert [tok.decode([i]) for i in ids] == [sample[s:e] for s, e in spans]


@given(sample=ANY_CODE)
def test_offsets_cover_every_character_of_any_text(tok, sample):
    ids, spans = tok.encode_with_offsets(sample)
    assert ids == tok.encode(sample)
    assert offset_problems(len(sample), ids, spans) == []
    assert set().union(*(range(s, e) for s, e in spans)) == set(range(len(sample)))


@pytest.mark.parametrize("language", ["python", "c", "javascript"])
def test_snippets_in_their_own_language(language):
    source = SourceCode(SNIPPETS[language], language)
    tok = PygmentsBPETokenizer(language="auto", vocab_size=400, max_lexemes=50, min_frequency=1)
    tok.train([source])
    ids, spans = tok.encode_with_offsets(source)
    assert ids == tok.encode(source)
    assert covered_text(source, spans) == source
