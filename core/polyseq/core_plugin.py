"""The core's own plugin: the cross-domain tokenizers, the built-in backbones, tasks and baselines, registered
through the same hooks as any other plugin's."""

from __future__ import annotations

from polyseq.hookspecs import hookimpl


@hookimpl
def register_tokenizers(register):
    register("bytes", "polyseq.tokenizers.bytes:ByteTokenizer", description="UTF-8 bytes, 256 symbols, no unknowns")
    register("char", "polyseq.tokenizers.char:CharTokenizer", description="characters, vocabulary learned by frequency")
    register("lookup", "polyseq.tokenizers.lookup:LookupTokenizer",
             description="symbols by a vocabulary table (learned by default), UTF-8 bytes for unknown ones")
    register("kmer", "polyseq.tokenizers.kmer:KmerTokenizer",
             description="k-mers of an alphabet (learned by default), non-overlapping unless stride < k")
    # TrackTokenizer is not registered: a cross-domain tokenizer is offered to every domain whose samples
    # are strings, and its samples are Annotated(sequence, track); a domain registers its own subclass.


@hookimpl
def register_backbones(register):
    register("transformer", "polyseq.models.transformer:Transformer",
             description="pre-norm Transformer: encoder, or causal decoder with KV cache")
    register("rnn", "polyseq.models.rnn:RNN", description="stacked LSTM or GRU, bidirectional for encoders")


@hookimpl
def register_tasks(register):
    register("lm", "polyseq.tasks.lm:LanguageModel", description="next-token prediction; generates")
    register("mlm", "polyseq.tasks.mlm:MaskedLanguageModel", description="masked-token prediction (encoder pretraining)")
    register("classify", "polyseq.tasks.classify:Classify", description="one class per record")
    register("regress", "polyseq.tasks.regress:Regress", description="real value(s) per record")
    register("tag", "polyseq.tasks.tag:Tag", description="one label per position (per base, atom, note...)")
    register("seq2seq", "polyseq.tasks.seq2seq:Seq2Seq", description="a target sequence per record, in any domain")


@hookimpl
def register_baselines(register):
    register("majority", "polyseq.baselines.simple:Majority",
             description="the train split's majority class or label per position (their frequencies) or mean value; "
                         "any domain")
    register("ngram_lm", "polyseq.baselines.ngram_lm:NgramLM",
             description="Kneser-Ney n-gram LM over UTF-8 bytes (order 5); bits per byte; any domain")
