"""The core's own plugin: the cross-domain tokenizers and the built-in backbones, registered through
the same hooks as any other plugin's."""

from __future__ import annotations

from polyseq.hookspecs import hookimpl


@hookimpl
def register_tokenizers(register):
    register("bytes", "polyseq.tokenizers.bytes:ByteTokenizer", description="UTF-8 bytes, 256 symbols, no unknowns")
    register("char", "polyseq.tokenizers.char:CharTokenizer", description="characters, vocabulary learned by frequency")


@hookimpl
def register_backbones(register):
    register("transformer", "polyseq.models.transformer:Transformer",
             description="pre-norm Transformer: encoder, or causal decoder with KV cache")
    register("rnn", "polyseq.models.rnn:RNN", description="stacked LSTM or GRU, bidirectional for encoders")
