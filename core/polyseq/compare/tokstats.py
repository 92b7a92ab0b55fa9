"""Tokenizer statistics of a grid: vocabulary size, tokens per byte, sequence lengths, encode time.

Read from the same prepared token cache the runs train on, so they describe exactly what the
models saw; preparing is what `fit` would do first anyway, and a second look costs about a second.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from polyseq.compare.config import RunSpec

QUANTILES = (0, 5, 25, 50, 75, 95, 100)
COLUMNS = ("dataset", "domain", "task", "tokenizer", "vocab_size", "records", "tokens", "bytes", "tokens_per_byte",
           "len_mean", "len_q", "encode_s")


def tokenizer_stats(spec: RunSpec) -> dict[str, Any]:
    """Statistics of the train split of `spec`'s dataset under its tokenizer."""
    from polyseq.data.module import SequenceDataModule

    data = SequenceDataModule(**spec.fit["data"])
    info = data.prepare()
    train = data.arrays["train"]
    lengths = train.lengths()
    return {
        "dataset": spec.dataset, "domain": spec.domain, "task": spec.task, "tokenizer": spec.tokenizer,
        "vocab_size": int(info["vocab_size"]), "records": len(train), "tokens": train.n_tokens,
        "bytes": int(train.n_bytes), "tokens_per_byte": info["tokens_per_byte"].get("train"),
        "len_mean": float(lengths.mean()) if len(lengths) else 0.0,
        "len_q": [float(q) for q in np.percentile(lengths, QUANTILES)] if len(lengths) else [0.0] * len(QUANTILES),
        "encode_s": info.get("encode_seconds", {}).get("train"),
    }


def write_tokenizers_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    from polyseq.compare.runner import write_csv

    write_csv(path, COLUMNS, [{**r, "len_q": json.dumps(r["len_q"])} for r in rows])
