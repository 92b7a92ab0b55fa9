"""The MIDI schemes give no token offsets (see polyseq_midi.tokenizers), and say so when asked."""

import pytest

from polyseq.errors import ConfigError
from polyseq.tokenizers import token_offsets
from polyseq_midi.examples import EXAMPLES
from polyseq_midi.tokenizers import MIDILike, REMI, REMIBPE


@pytest.mark.parametrize("cls", [MIDILike, REMI, REMIBPE], ids=lambda c: c.type_name)
def test_midi_tokenizers_give_no_offsets_and_token_offsets_names_them(cls):
    assert not hasattr(cls, "encode_with_offsets")
    with pytest.raises(ConfigError, match=f"tokenizer '{cls.type_name}' gives no token offsets"):
        token_offsets(cls(), EXAMPLES[0])
