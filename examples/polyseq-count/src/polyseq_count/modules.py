"""The count task's torch modules: the additive head and the exact-count metric (imported when training)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
import torchmetrics
from torch import nn


class CountHead(nn.Module):
    """A rate >= 0 per position; the count is their sum over real tokens."""

    def __init__(self, d_model: int):
        super().__init__()
        self.rate = nn.Linear(d_model, 1)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        rates = F.softplus(self.rate(hidden).squeeze(-1).float())  # (B, T)
        return (rates * mask).sum(1)  # (B,)


class ExactCount(torchmetrics.Metric):
    """The fraction of records whose predicted count, rounded, equals the true count."""

    higher_is_better = True
    full_state_update = False

    def __init__(self) -> None:
        super().__init__()
        self.add_state("hits", torch.tensor(0.0), dist_reduce_fx="sum")
        self.add_state("total", torch.tensor(0.0), dist_reduce_fx="sum")

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        self.hits += (preds.round() == target).sum()
        self.total += target.numel()

    def compute(self) -> torch.Tensor:
        return self.hits / self.total.clamp(min=1)
