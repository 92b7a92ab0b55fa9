"""Task heads on top of a backbone's hidden states (B, T, D); losses live in the Lightning module."""

from __future__ import annotations

import torch
from torch import nn

POOLINGS = ("cls", "mean", "last")


def pool(hidden: torch.Tensor, mask: torch.Tensor, how: str) -> torch.Tensor:
    """(B, T, D) -> (B, D): the <cls> position, the mean over real tokens, or the last real token."""
    if how == "cls":
        return hidden[:, 0]
    if how == "mean":
        m = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * m).sum(1) / m.sum(1).clamp(min=1)
    last = mask.long().sum(1).clamp(min=1) - 1  # index of the last real token
    return hidden[torch.arange(hidden.size(0), device=hidden.device), last]


class LMHead(nn.Module):
    """Next-token (or masked-token) logits, weights tied to the input embedding (Press & Wolf 2017)."""

    def __init__(self, embedding: nn.Embedding):
        super().__init__()
        self.embedding = embedding

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return hidden @ self.embedding.weight.T  # (B, T, V)


class PooledHead(nn.Module):
    """Pool the sequence, then a small MLP to `n_out` values (class logits or standardised targets)."""

    def __init__(self, d_model: int, n_out: int, pooling: str = "mean", dropout: float = 0.1):
        super().__init__()
        self.pooling = pooling
        self.net = nn.Sequential(nn.Dropout(dropout), nn.Linear(d_model, d_model), nn.GELU(), nn.Linear(d_model, n_out))

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.net(pool(hidden, mask, self.pooling))


def build_pooled(model: nn.Module, n_out: int) -> None:
    """An encoder backbone and a PooledHead with `n_out` outputs on `model` (classify, regress, ...)."""
    from polyseq.errors import ConfigError

    hp = model.hparams
    model.backbone = model.make_backbone("bidirectional", model.info.vocab_size)
    if hp["pooling"] == "cls" and model.backbone.causal:
        raise ConfigError("--model.pooling=cls needs a bidirectional backbone; use mean or last with a causal one")
    model.head = PooledHead(model.backbone.d_model, n_out, hp["pooling"], hp["dropout"])


def pooled_outputs(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The pooled head's outputs (B, n_out) in float32 (no padding mask: every position is real)."""
    mask = batch.get("attention_mask")
    if mask is None:
        mask = torch.ones(batch["input_ids"].shape, dtype=torch.bool, device=batch["input_ids"].device)
    return model.head(model.backbone(batch["input_ids"], mask), mask).float()


class TokenHead(nn.Module):
    """Per-token class logits: dropout, then a linear layer on each hidden state."""

    def __init__(self, d_model: int, n_labels: int, dropout: float = 0.1):
        super().__init__()
        self.net = nn.Sequential(nn.Dropout(dropout), nn.Linear(d_model, n_labels))

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(hidden)  # (B, T, n_labels)
