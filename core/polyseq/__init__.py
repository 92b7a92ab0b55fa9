"""polyseq: one sequence-modelling engine for every kind of sequence; domains are plugins.

Public API (stable)::

    polyseq.domains()                  name -> Domain, for every registered domain
    polyseq.get_domain(name)           one Domain (unknown name: error listing the known ones)
    Domain.make_tokenizer(name=None, **options)
    Domain.read(path)                  iterator of Record(sample, target, meta)
    Tokenizer.encode / decode / save
    polyseq.load_tokenizer(path)
    polyseq.hookimpl                   the marker for plugin hook implementations

Importing polyseq imports neither torch nor any domain library.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from polyseq.domain import Domain
from polyseq.errors import (
    BadRecordError,
    ConfigError,
    PluginError,
    PolyseqError,
    ReaderError,
    TokenizerFormatError,
    UnknownNameError,
)
from polyseq.hookspecs import hookimpl
from polyseq.records import BadRecord, ReadReport, Record
from polyseq.tokenizers.base import SPECIAL_IDS, SPECIAL_TOKENS, Tokenizer, TokenizerMixin, Vocab

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


__all__ = [
    "BadRecord", "BadRecordError", "ConfigError", "Domain", "PluginError", "PolyseqError", "ReadReport",
    "ReaderError", "Record", "SPECIAL_IDS", "SPECIAL_TOKENS", "Tokenizer", "TokenizerFormatError",
    "TokenizerMixin", "UnknownNameError", "Vocab", "domains", "get_domain", "hookimpl", "load_tokenizer",
]
