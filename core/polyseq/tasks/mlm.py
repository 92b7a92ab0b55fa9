"""`mlm`: masked-token prediction (BERT's objective) - pretraining for encoders.

A record longer than `--data.max_length` is read as consecutive pieces of that many tokens
(`RecordPieces`), so a genome window or a long document is learnt whole (`RecordDataset`'s cut
to the first max_length tokens, right for a classifier, would drop the rest silently). With
`--data.augment` each record is re-tokenised on the fly and its pieces cannot be fixed in
advance: it is truncated, and a warning says how many records are cut.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from polyseq.tasks.base import Task
from polyseq.tasks.lm import loss_scales, token_loss

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


class RecordPieces:
    """Item k: piece k of the records cut into consecutive runs of `max_length` ids (the last of a
    record shorter; an empty record is one empty piece). `index` is the piece's record.

    Held per record, not per piece: the item number of each record's first piece (8 bytes a
    record), and nothing at all when every record fits in one piece (item k is record k), so tens
    of millions of short records cost no index; a piece finds its record by binary search.
    """

    def __init__(self, arrays: Any, max_length: int):
        import numpy as np

        self.arrays, self.max_length = arrays, max_length
        pieces = np.maximum(1, -(-arrays.lengths() // max_length))
        self.n = int(pieces.sum())
        self.first = None  # item number of each record's first piece; None: one piece a record
        if self.n != len(pieces):
            self.first = np.cumsum(pieces)
            self.first -= pieces

    def __len__(self) -> int:
        return self.n

    def locate(self, k: int) -> tuple[int, int]:
        """(record, index of its first id) of piece k."""
        import numpy as np

        if self.first is None:
            return k, 0
        r = int(np.searchsorted(self.first, k, side="right")) - 1
        return r, (k - int(self.first[r])) * self.max_length

    def __getitem__(self, k: int) -> dict[str, Any]:
        import torch

        if not 0 <= k < len(self):
            raise IndexError(f"piece {k} of {len(self)}")
        record, start = self.locate(k)
        ids = self.arrays.sequence(record)[start : start + self.max_length]
        return {"input_ids": torch.tensor(ids.tolist(), dtype=torch.long), "index": record}

    def lengths(self) -> Any:
        """Every piece's number of ids (int32): `max_length` but for each record's last piece."""
        import numpy as np

        lengths = self.arrays.lengths()
        if self.first is None:
            return np.minimum(lengths, self.max_length).astype(np.int32)
        out = np.full(self.n, self.max_length, dtype=np.int32)
        last = np.append(self.first[1:], self.n) - 1  # each record's last piece: the next one's first, less one
        rest = lengths % self.max_length
        out[last] = np.where((rest > 0) | (lengths == 0), rest, self.max_length)
        return out


class MaskingCollate:
    """Pads, then masks 15 % of the real tokens (80 % <mask>, 10 % random, 10 % kept) with its own generator."""

    def __init__(self, vocab_size: int, probability: float = 0.15, seed: int = 0):
        import torch

        self.vocab_size, self.probability = vocab_size, probability
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        from polyseq.data.datasets import mask_tokens, pad_collate

        batch = pad_collate(items)
        batch["input_ids"], batch["labels"] = mask_tokens(batch["input_ids"], self.vocab_size, self.probability, self.generator)
        return batch


class MaskedLanguageModel(Task):
    name = "mlm"
    description = "masked-token prediction per record (BERT); pretrains an encoder"
    record_target = "nothing (the sample itself)"
    backbone_mode = "bidirectional"
    primary_metric = ("loss",)
    report_metrics = ("acc", "ppl")

    def dataset(self, arrays: Any, info: Any, encode: Any = None) -> Any:
        from polyseq.data.datasets import RecordDataset

        if encode is None:
            return RecordPieces(arrays, info.max_length)
        cut = int((arrays.lengths() > info.max_length).sum())
        if cut:
            log.warning("mlm with --data.augment: %d of %d training records are longer than --data.max_length=%d "
                        "and are truncated to it (augmented samples are re-tokenised on the fly, so they are not "
                        "cut into pieces); raise --data.max_length or cut the records shorter (e.g. the reader's "
                        "window option)", cut, len(arrays), info.max_length)
        return RecordDataset(arrays, info.max_length, add_cls=False, encode=encode)

    def collate(self, info: Any, options: Mapping[str, Any], seed: int = 0) -> MaskingCollate:
        return MaskingCollate(info.vocab_size, float(options.get("mlm_probability", 0.15)), seed)

    def build(self, model: Any) -> None:
        from polyseq.training.heads import LMHead

        model.backbone = model.make_backbone(self.backbone_mode, model.info.vocab_size)
        model.head = LMHead(model.backbone.token_embedding)

    def metrics(self, info: Any) -> Any:
        import torchmetrics

        from polyseq.data.datasets import IGNORE

        return torchmetrics.MetricCollection({"acc": torchmetrics.Accuracy(
            task="multiclass", num_classes=info.vocab_size, ignore_index=IGNORE, average="micro")})

    def step(self, model: Any, batch: dict[str, Any], stage: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        logits = model.head(model.backbone(batch["input_ids"], batch.get("attention_mask")))
        loss = token_loss(logits, batch["labels"])
        model.stage_metrics(stage).update(logits.detach().argmax(-1), batch["labels"])
        return loss, {} if stage == "train" else loss_scales(loss)
