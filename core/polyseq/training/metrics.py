"""Metrics torchmetrics does not have, for the tasks that need them."""

from __future__ import annotations

import torch
import torchmetrics

from polyseq.data.datasets import IGNORE


class ExactMatch(torchmetrics.Metric):
    """Share of sequences whose every scored position is predicted right (labels IGNORE are not scored)."""

    full_state_update = False

    def __init__(self) -> None:
        super().__init__()
        self.add_state("correct", default=torch.tensor(0), dist_reduce_fx="sum")
        self.add_state("total", default=torch.tensor(0), dist_reduce_fx="sum")

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:  # (B, T) each
        right = (preds == target) | (target == IGNORE)
        self.correct += right.all(dim=1).sum()
        self.total += target.shape[0]

    def compute(self) -> torch.Tensor:
        return self.correct.float() / self.total.clamp(min=1)
