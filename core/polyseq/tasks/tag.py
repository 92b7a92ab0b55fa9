"""`tag`: one label per position of the sample - a gene/CDS annotation per base, a role per atom or note.

A record's target is a label sequence aligned with its sample: a string with one label character
per sample character (`"++++...---"` for `"ATGC...GCA"`), or a list with one label per element.
The tokenizer's offsets (`encode_with_offsets`) carry the labels to tokens: a token takes the label
of the first position it covers (as token-classification models label the first sub-token of a
word); a token covering nothing is ignored by the loss. `predict` maps back: each position gets the
prediction of the last token starting at or before it, so the written label sequence has exactly
one label per input position, whatever the tokenizer (sub-words, k-mers, overlapping k-mers).
Inputs longer than the model's max_length are labelled window by window.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from polyseq.errors import ConfigError, ReaderError
from polyseq.tasks.base import Task, label_index, records_with_targets
from polyseq.tokenizers.offsets import token_offsets

if TYPE_CHECKING:
    import numpy as np
    import torch

IGNORE = -100  # polyseq.data.datasets.IGNORE, without importing torch to list tasks
PAD_VALUES = {"labels": IGNORE, "spans": -1}


def token_labels(labels: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """Per-position label ids -> per-token label ids: the label at each span's start; IGNORE for empty spans."""
    import numpy as np

    if not spans:
        return np.empty(0, dtype=np.int64)
    starts, ends = np.asarray(spans, dtype=np.int64).T
    out = labels[np.minimum(starts, max(len(labels) - 1, 0))] if len(labels) else np.full(len(starts), IGNORE)
    return np.where(ends > starts, out, IGNORE)


def position_labels(token_preds: np.ndarray, starts: np.ndarray, n_positions: int) -> np.ndarray:
    """Per-token predictions -> per-position: position p takes the last token starting at or before p."""
    import numpy as np

    if n_positions == 0:
        return np.empty(0, dtype=np.int64)
    if len(starts) == 0:
        return np.zeros(n_positions, dtype=np.int64)
    which = np.searchsorted(starts, np.arange(n_positions), side="right") - 1
    return token_preds[np.clip(which, 0, len(starts) - 1)]


class RaggedLabels:
    """`RecordDataset` extras: record i's per-token labels, cut like its ids."""

    def __init__(self, ragged: Any):
        self.ragged = ragged

    def __call__(self, i: int, n: int) -> dict[str, torch.Tensor]:
        import torch

        return {"labels": torch.from_numpy(self.ragged.sequence(i)[:n].astype("int64"))}


class Tag(Task):
    name = "tag"
    description = "one label per position (token classification via tokenizer offsets); token accuracy, macro and per-label F1"
    needs_target = True
    record_target = "one label per position of the sample (a string or list as long as the sample)"
    augmentable = False  # an augmentation would have to move the labels with the sample
    primary_metric = ("f1",)
    higher_is_better = True
    report_metrics = ("acc",)
    labels_per_position = True

    def prepare_targets(self, records: Any, tokenizer: Any, data: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        records_with_targets(records, data.target)
        for recs in records.values():
            for r in recs:
                if len(r.target) != len(r.sample):
                    raise ReaderError(f"{r.where}: {len(r.target)} labels in --data.target={data.target!r} for a sample "
                                      f"of {len(r.sample)} positions; the tag task needs exactly one label per position")
        import numpy as np

        names = label_index(records, lambda r: r.target, "label")
        if len(names) < 2:
            raise ConfigError(f"--data.target={data.target!r}: the train split has a single label {names}; "
                              "tagging needs at least two")
        index = {n: i for i, n in enumerate(names)}
        out = {}
        for split, recs in records.items():
            per_token = []
            for r in recs:
                _, spans = token_offsets(tokenizer, r.sample)
                labels = np.fromiter((index[str(x)] for x in r.target), dtype=np.int64, count=len(r.target))
                per_token.append(token_labels(labels, spans))
            out[split] = per_token
        return out, {"labels": names}

    def dataset(self, arrays: Any, info: Any, encode: Any = None) -> Any:
        from polyseq.data.datasets import RecordDataset

        return RecordDataset(arrays, info.max_length, add_cls=False, extras=RaggedLabels(arrays.ragged))

    def collate(self, info: Any, options: Mapping[str, Any], seed: int = 0) -> Any:
        from polyseq.data.datasets import pad_collate

        return functools.partial(pad_collate, pad_values=PAD_VALUES)

    def build(self, model: Any) -> None:
        from polyseq.training.heads import TokenHead

        model.backbone = model.make_backbone(self.backbone_mode, model.info.vocab_size)
        model.head = TokenHead(model.backbone.d_model, len(model.info.labels), model.hparams["dropout"])

    def metrics(self, info: Any) -> Any:
        import torchmetrics
        from torchmetrics.wrappers import ClasswiseWrapper

        k = len(info.labels)
        return torchmetrics.MetricCollection({
            "acc": torchmetrics.Accuracy(task="multiclass", num_classes=k, average="micro"),
            "f1": torchmetrics.F1Score(task="multiclass", num_classes=k, average="macro"),
            "per_label": ClasswiseWrapper(torchmetrics.F1Score(task="multiclass", num_classes=k, average=None),
                                          labels=[str(x) for x in info.labels], prefix="f1_"),
        }, compute_groups=False)  # grouped, the per-label F1 would share the macro F1's state and warn it was never updated

    def step(self, model: Any, batch: dict[str, Any], stage: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        import torch.nn.functional as F

        logits = model.head(model.backbone(batch["input_ids"], batch.get("attention_mask"))).float()
        labels = batch["labels"]
        loss = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE)
        real = labels != IGNORE
        model.stage_metrics(stage).update(logits.detach()[real].argmax(-1), labels[real])
        return loss, {}

    def inference_item(self, sample: Any, tokenizer: Any, info: Any) -> dict[str, Any]:
        import torch

        ids, spans = token_offsets(tokenizer, sample)
        return {"input_ids": torch.tensor(ids, dtype=torch.long),
                "spans": torch.tensor(spans, dtype=torch.long).reshape(-1, 2), "n_positions": len(sample)}

    def predict(self, model: Any, batch: dict[str, Any], options: Mapping[str, Any]) -> list[dict[str, Any]]:
        import torch

        ids, mask = batch["input_ids"], batch["attention_mask"]
        window = model.info.max_length
        preds = torch.cat([model.head(model.backbone(ids[:, i : i + window], mask[:, i : i + window])).argmax(-1)
                           for i in range(0, max(ids.shape[1], 1), window)], dim=1)
        rows = []
        for row_preds, spans, n, real in zip(preds.cpu().numpy(), batch["spans"].cpu().numpy(),
                                             batch["n_positions"].tolist(), mask.cpu().numpy(), strict=True):
            per_position = position_labels(row_preds[real], spans[real][:, 0], n)
            rows.append({"prediction": self.label_string(model.info.labels, per_position)})
        return rows

    @staticmethod
    def label_string(names: Sequence[str], label_ids: Iterable[int]) -> str:
        """The `prediction` column: one label per position, joined ("" between one-character labels,
        else a space), as `polyseq baseline` writes it too."""
        joiner = "" if all(len(str(n)) == 1 for n in names) else " "
        return joiner.join(str(names[i]) for i in label_ids)
