"""The tokenizer contract and the tokenizers the core provides to every domain.

The configurable building blocks (`LookupTokenizer`, `KmerTokenizer`, `TrackTokenizer`,
`Annotated`) are imported on first use, as from `polyseq`.
"""

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

_LAZY = {
    "LookupTokenizer": "polyseq.tokenizers.lookup",
    "KmerTokenizer": "polyseq.tokenizers.kmer",
    "TrackTokenizer": "polyseq.tokenizers.track",
    "Annotated": "polyseq.tokenizers.track",
}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'polyseq.tokenizers' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)


__all__ = [*_LAZY,
    "BOS_ID", "CLS_ID", "EOS_ID", "MASK_ID", "N_SPECIAL", "PAD_ID", "SEP_ID", "SPECIAL_IDS", "SPECIAL_TOKENS",
    "UNK_ID", "Tokenizer", "TokenizerMixin", "TokenizerWithOffsets", "Vocab", "load_tokenizer", "save_tokenizer",
    "token_offsets",
]
