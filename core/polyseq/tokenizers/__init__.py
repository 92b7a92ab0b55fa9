"""The tokenizer contract and the tokenizers the core provides to every domain."""

from polyseq.tokenizers.base import (
    BOS_ID,
    CLS_ID,
    EOS_ID,
    MASK_ID,
    N_SPECIAL,
    PAD_ID,
    SEP_ID,
    SPECIAL_IDS,
    SPECIAL_TOKENS,
    UNK_ID,
    Tokenizer,
    TokenizerMixin,
    TokenizerWithOffsets,
    Vocab,
)
from polyseq.tokenizers.offsets import token_offsets
from polyseq.tokenizers.serialization import load_tokenizer, save_tokenizer

__all__ = [
    "BOS_ID", "CLS_ID", "EOS_ID", "MASK_ID", "N_SPECIAL", "PAD_ID", "SEP_ID", "SPECIAL_IDS", "SPECIAL_TOKENS",
    "UNK_ID", "Tokenizer", "TokenizerMixin", "TokenizerWithOffsets", "Vocab", "load_tokenizer", "save_tokenizer",
    "token_offsets",
]
