"""The contract every backbone meets: token ids (+ padding mask) -> hidden states.

Heads, losses and generation live outside the backbone and rely on this contract only, so a plugin
can register a backbone of its own (`register_backbones`) and every task and the generator use it.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, runtime_checkable

import torch
from torch import nn

from polyseq.errors import ConfigError


@runtime_checkable
class Backbone(Protocol):
    """What the engine needs of a backbone (`Transformer` and `RNN` are the built-in ones).

    Padding masks are BoolTensors (B, T) with True at real tokens; `None` means no padding.
    Outputs at padded positions are unspecified (finite) and must be ignored by heads.
    """

    config_class: ClassVar[type]  # the dataclass the engine builds `config` from
    config: Any
    d_model: int  # width of the hidden states
    causal: bool  # True: position t sees only tokens <= t, and `step` is available
    token_embedding: nn.Embedding  # (vocab_size, d_model), padding_idx=0; an LM head may tie to it

    def forward(self, ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """ids (B, T) -> hidden (B, T, d_model)."""

    def init_state(self, batch_size: int, device: Any = None) -> Any:
        """An empty decoding state for `step` (causal backbones only)."""

    def step(
        self, ids: torch.Tensor, state: Any, attention_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, Any]:
        """Feed ids (B, T_new) after what `state` has seen -> (hidden (B, T_new, d_model), new state)."""

    def num_parameters(self, trainable_only: bool = False) -> int: ...


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def require_causal(backbone: nn.Module) -> None:
    """Incremental decoding needs a causal backbone; say so plainly instead of decoding garbage."""
    if not backbone.causal:
        name = type(backbone).__name__
        raise ConfigError(
            f"{name}.step()/init_state() decode incrementally and need a causal backbone, but this {name} "
            f"was built with causal=False (an encoder). Generate with a model trained with causal=True."
        )
