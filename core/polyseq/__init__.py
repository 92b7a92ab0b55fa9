"""polyseq: one sequence-modelling engine for every kind of sequence; domains are plugins.

Public API (stable). A plugin imports from `polyseq` (this module), `polyseq.testing` (the
conformance kit) and, for tasks and backbones, `polyseq.tasks` and `polyseq.models.backbone`;
nothing else (tests/core/test_public_api.py holds the built-in plugins to it)::

    polyseq.domains()                  name -> Domain, for every registered domain
    polyseq.get_domain(name)           one Domain (unknown name: error listing the known ones)
    Domain.make_tokenizer(name=None, **options)
    Domain.read(path)                  iterator of Record(sample, target, meta)
    Tokenizer.encode / decode / save
    polyseq.load_tokenizer(path)
    polyseq.hookimpl                   the marker for plugin hook implementations
    polyseq.register_plugin(obj)       register an object holding hookimpls (notebooks, tests)

Building blocks for a domain (see docs/writing-a-plugin.md):

    LookupTokenizer, KmerTokenizer, TrackTokenizer, Annotated     tokenizers to configure
    read_table, read_jsonl, read_fasta_like, table_reader, ...    readers with `column`/`target`
    SymbolBPE, Vocab, TokenizerMixin, Span, char_spans...         parts for a tokenizer of your own
    DatasetEntry, RemoteFile, TaskSpec                            catalog entries
    Baseline, FeatureLinear, NgramLinear, WindowLinear            classical baselines (register_baselines)

Importing polyseq imports neither torch nor any domain library; the building blocks are
imported when first used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from polyseq.domain import Domain
from polyseq.errors import (
    BadRecordError,
    ConfigError,
    DatasetError,
    PluginError,
    PolyseqError,
    ReaderError,
    TokenizerFormatError,
    UnknownNameError,
)
from polyseq.hookspecs import hookimpl
from polyseq.records import BadRecord, ReadReport, Record
from polyseq.tokenizers.base import (
    BOS_ID,
    CLS_ID,
    EOS_ID,
    MASK_ID,
    N_SPECIAL,
    PAD_ID,
    SEP_ID,
    SKIPPED_ON_DECODE,
    SPECIAL_IDS,
    SPECIAL_TOKENS,
    UNK_ID,
    Tokenizer,
    TokenizerMixin,
    Vocab,
)

__version__ = "0.1.0"


def domains() -> Mapping[str, Domain]:
    """Every registered domain, by name."""
    from polyseq.plugins import registry

    return dict(registry().domains)


def get_domain(name: str) -> Domain:
    """The domain called `name`; an unknown name is an error that lists the known ones."""
    from polyseq.plugins import registry

    return registry().get_domain(name)


def load_tokenizer(path: Any) -> Any:
    """Rebuild any registered tokenizer from the JSON file its `save()` wrote."""
    from polyseq.tokenizers.serialization import load_tokenizer as _load

    return _load(path)


#: public names imported on first use (`polyseq.X`), each "module:attribute"
_LAZY: dict[str, str] = {
    # tokenizer building blocks
    "LookupTokenizer": "polyseq.tokenizers.lookup:LookupTokenizer",
    "KmerTokenizer": "polyseq.tokenizers.kmer:KmerTokenizer",
    "TrackTokenizer": "polyseq.tokenizers.track:TrackTokenizer",
    "Annotated": "polyseq.tokenizers.track:Annotated",
    "CharTokenizer": "polyseq.tokenizers.char:CharTokenizer",
    "ByteTokenizer": "polyseq.tokenizers.bytes:ByteTokenizer",
    "SymbolBPE": "polyseq.tokenizers.subword:SymbolBPE",
    "check_special_ids": "polyseq.tokenizers.subword:check_special_ids",
    "Span": "polyseq.tokenizers.offsets:Span",
    "char_spans": "polyseq.tokenizers.offsets:char_spans",
    "spans_from_arrays": "polyseq.tokenizers.offsets:spans_from_arrays",
    "offset_problems": "polyseq.tokenizers.offsets:offset_problems",
    "TokenizerWithOffsets": "polyseq.tokenizers.base:TokenizerWithOffsets",
    # reader building blocks
    "read_table": "polyseq.readers:read_table",
    "read_jsonl": "polyseq.readers:read_jsonl",
    "read_fasta_like": "polyseq.readers:read_fasta_like",
    "table_reader": "polyseq.readers:table_reader",
    "jsonl_reader": "polyseq.readers:jsonl_reader",
    "fasta_reader": "polyseq.readers:fasta_reader",
    "open_text": "polyseq.textio:open_text",
    "too_long": "polyseq.domain:too_long",
    "bad_text_reason": "polyseq.textio:bad_text_reason",
    "UNDECODABLE": "polyseq.textio:UNDECODABLE",
    "CUT_ERRORS": "polyseq.textio:CUT_ERRORS",
    "cut_short": "polyseq.textio:cut_short",
    # plugins registered by hand (notebooks, tests)
    "register_plugin": "polyseq.plugins:register",
    "unregister_plugin": "polyseq.plugins:unregister",
    # baseline building blocks (register_baselines)
    "Baseline": "polyseq.baselines.base:Baseline",
    "FeatureLinear": "polyseq.baselines.linear:FeatureLinear",
    "NgramLinear": "polyseq.baselines.linear:NgramLinear",
    "WindowLinear": "polyseq.baselines.window:WindowLinear",
    "sample_text": "polyseq.baselines.base:sample_text",
    # catalog entries
    "DatasetEntry": "polyseq.catalog.entry:DatasetEntry",
    "RemoteFile": "polyseq.catalog.entry:RemoteFile",
    "TaskSpec": "polyseq.catalog.entry:TaskSpec",
}


def lazy_attribute(namespace: dict[str, Any], table: Mapping[str, str], name: str) -> Any:
    """Module `__getattr__` for names imported on first use: `table[name]` is "module:attribute";
    the value is cached in the module's `namespace`."""
    target = table.get(name)
    if target is None:
        raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
    import importlib

    module_name, _, attr = target.partition(":")
    value = namespace[name] = getattr(importlib.import_module(module_name), attr)
    return value


def __getattr__(name: str) -> Any:
    return lazy_attribute(globals(), _LAZY, name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [*_LAZY,
    "BOS_ID", "CLS_ID", "EOS_ID", "MASK_ID", "N_SPECIAL", "PAD_ID", "SEP_ID", "SKIPPED_ON_DECODE", "UNK_ID",
    "DatasetError",
    "BadRecord", "BadRecordError", "ConfigError", "Domain", "PluginError", "PolyseqError", "ReadReport",
    "ReaderError", "Record", "SPECIAL_IDS", "SPECIAL_TOKENS", "Tokenizer", "TokenizerFormatError",
    "TokenizerMixin", "UnknownNameError", "Vocab", "domains", "get_domain", "hookimpl", "load_tokenizer",
]
