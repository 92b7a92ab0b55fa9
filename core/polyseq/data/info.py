"""`DataInfo`: what the data module learned about the data, as the model and every checkpoint need it.

It travels from the data module to the model (LightningCLI links it) and into checkpoints as plain
JSON-like values (`to_dict`), so a checkpoint loads with `torch.load(weights_only=True)` and a model
is rebuilt with no data at hand. Importing this module imports neither torch nor numpy.

Format versions:
    1  (polyseq 0.1, before tasks were plugins) an untyped dict: `label_names` for class labels,
       no `format_version` key; still read.
    2  this dataclass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from polyseq.errors import PolyseqError

FORMAT_VERSION = 2


@dataclass(frozen=True)
class DataInfo:
    task: str  # the registered task the model was trained for
    vocab_size: int
    domain: str = ""  # the registered domain of the samples (the source, for seq2seq); "" for a bare model
    tokenizer: Mapping[str, Any] = field(default_factory=dict)  # the tokenizer's JSON form (`tokenizer_to_dict`)
    max_length: int = 256  # longest sequence the model was fed (LM block length)
    labels: tuple[str, ...] = ()  # class names (classify) or per-token label names (tag), index = class id
    target_names: tuple[str, ...] = ()  # regressed columns
    target_mean: tuple[float, ...] = ()  # the scaler of the regression targets (train split)
    target_std: tuple[float, ...] = ()
    tokens_per_byte: float | None = None  # of the validation split; turns bits/token into bits/byte
    target_domain: str | None = None  # seq2seq: the domain of the target sequences
    target_tokenizer: Mapping[str, Any] | None = None  # seq2seq: the target tokenizer's JSON form
    target_vocab_size: int | None = None
    task_options: Mapping[str, Any] = field(default_factory=dict)  # anything else a task records (JSON values)

    def __post_init__(self) -> None:
        for name in ("labels", "target_names", "target_mean", "target_std"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def output_domain(self) -> str:
        """The domain of what the model writes out: the target domain for seq2seq, else the domain."""
        return self.target_domain or self.domain

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (lists, dicts, str, numbers): safe for `weights_only=True` checkpoints."""
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        return {"format_version": FORMAT_VERSION, **out}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | DataInfo, source: str = "data_info") -> DataInfo:
        """Read version 2, or the untyped dict of version 1; anything else is an error naming `source`."""
        if isinstance(data, DataInfo):
            return data
        if not isinstance(data, Mapping):
            raise PolyseqError(f"{source}: data_info must be a mapping, got {type(data).__name__}")
        values = dict(data)
        version = values.pop("format_version", 1)
        if version == 1:
            if "label_names" in values:
                values["labels"] = values.pop("label_names")
        elif version != FORMAT_VERSION:
            raise PolyseqError(f"{source}: data_info format_version {version!r} is not one this polyseq reads "
                               f"(1 or {FORMAT_VERSION}); upgrade polyseq")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise PolyseqError(f"{source}: data_info has unknown field(s) {', '.join(unknown)} "
                               f"(format_version {version}); was it written by a newer polyseq?")
        missing = [n for n in ("task", "vocab_size") if n not in values]
        if missing:
            raise PolyseqError(f"{source}: data_info lacks {', '.join(missing)} (format_version {version})")
        return cls(**values)
