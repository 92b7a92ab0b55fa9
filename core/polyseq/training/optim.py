"""AdamW with linear warmup and cosine decay, as plain functions any training script can call."""

from __future__ import annotations

import math

import torch
from torch import nn


def build_adamw(
    model: nn.Module,
    lr: float,
    weight_decay: float,
    betas: tuple[float, float] = (0.9, 0.95),
    device_type: str = "cpu",
    lr_ratios: dict[str, float] | None = None,
) -> torch.optim.AdamW:
    """Weight decay on matrices only (not on biases and norms); fused kernels on CUDA.

    `lr_ratios` maps a parameter-name prefix to a learning-rate factor (e.g. {"backbone.": 0.1}).
    """
    groups: dict[tuple[float, bool], list[nn.Parameter]] = {}
    for name, p in model.named_parameters():
        if p.requires_grad:
            ratio = next((r for prefix, r in (lr_ratios or {}).items() if name.startswith(prefix)), 1.0)
            groups.setdefault((ratio, p.dim() >= 2), []).append(p)
    param_groups = [{"params": ps, "lr": lr * ratio, "weight_decay": weight_decay if decayed else 0.0}
                    for (ratio, decayed), ps in groups.items()]
    return torch.optim.AdamW(param_groups, lr=lr, betas=betas, fused=device_type == "cuda")


def warmup_cosine(
    optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int | None, min_ratio: float = 0.1
) -> torch.optim.lr_scheduler.LambdaLR:
    """Learning-rate factor: linear 0 -> 1 over `warmup_steps`, then cosine down to `min_ratio` at `total_steps`.

    `total_steps=None` (a run bounded by time, whose length is unknown): constant after warmup.
    """

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / max(1, warmup_steps)
        if total_steps is None:
            return 1.0
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
