"""The core's own plugin: the cross-domain tokenizers, registered through the same hook as any other."""

from __future__ import annotations

from polyseq.hookspecs import hookimpl


@hookimpl
def register_tokenizers(register):
    register("bytes", "polyseq.tokenizers.bytes:ByteTokenizer", description="UTF-8 bytes, 256 symbols, no unknowns")
    register("char", "polyseq.tokenizers.char:CharTokenizer", description="characters, vocabulary learned by frequency")
