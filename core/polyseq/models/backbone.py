"""The contract every backbone meets: token ids (+ padding mask) -> hidden states.

Heads, losses, tasks and the generator rely on this contract only, so a plugin can register a
backbone of its own (`register_backbones`) and every task, `--model.freeze` and the generator use
it. Nothing in the engine branches on a backbone's name.

A backbone class declares:
    config_class        the dataclass it is built from (fields `vocab_size` and `causal` at least)
    modes               which of MODES it can be built in
    default_options     (classmethod) option defaults for a mode and the data's longest sequence
and an instance offers `embedding_parameters()` and `layer_parameters()` (for freezing), plus
`init_state`/`step` when causal (incremental decoding).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import torch
from torch import nn

from polyseq.errors import ConfigError

#: causal: position t sees tokens <= t (a language model; `step` decodes incrementally);
#: bidirectional: every position sees the whole sequence (an encoder);
#: decoder: causal, and it attends to an encoder's output (`memory`) - the decoder of an encoder-decoder
MODES = ("causal", "bidirectional", "decoder")


@runtime_checkable
class Backbone(Protocol):
    """What the engine needs of a backbone (`Transformer` and `RNN` are the built-in ones).

    Padding masks are BoolTensors (B, T) with True at real tokens; `None` means no padding.
    Outputs at padded positions are unspecified (finite) and must be ignored by heads.
    """

    config_class: ClassVar[type]  # the dataclass the engine builds `config` from
    modes: ClassVar[tuple[str, ...]]  # the MODES it can be built in
    config: Any
    d_model: int  # width of the hidden states
    causal: bool  # True: position t sees only tokens <= t, and `step` is available
    token_embedding: nn.Embedding  # (vocab_size, d_model), padding_idx=0; an LM head may tie to it

    @classmethod
    def default_options(cls, mode: str, max_length: int) -> dict[str, Any]:
        """Config values this backbone wants for `mode` when the user gives none (e.g. an RNN
        encoder is bidirectional; a Transformer's position table covers `max_length`)."""

    def forward(self, ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """ids (B, T) -> hidden (B, T, d_model)."""

    def init_state(self, batch_size: int, device: Any = None) -> Any:
        """An empty decoding state for `step` (causal backbones only)."""

    def step(
        self, ids: torch.Tensor, state: Any, attention_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, Any]:
        """Feed ids (B, T_new) after what `state` has seen -> (hidden (B, T_new, d_model), new state)."""

    def embedding_parameters(self) -> list[nn.Parameter]:
        """Weights applied before the first layer (token and position embeddings)."""

    def layer_parameters(self) -> list[list[nn.Parameter]]:
        """The weights of each layer, first layer first (`--model.freeze layers` freezes a prefix)."""

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


# ------------------------------------------------------------------------------------------------
# Building one from the registry
# ------------------------------------------------------------------------------------------------


def config_class(backbone_cls: type) -> type:
    """The dataclass a backbone is configured with: `config_class`, or the annotation of `config`."""
    explicit = getattr(backbone_cls, "config_class", None)
    if explicit is not None:
        return explicit
    hints = typing.get_type_hints(backbone_cls.__init__)
    if "config" not in hints or not dataclasses.is_dataclass(hints["config"]):
        raise ConfigError(f"backbone {backbone_cls.__name__} must take `config: <dataclass>` or set config_class")
    return hints["config"]


def backbone_class(name: str) -> type:
    """The registered backbone class called `name` (an unknown name lists the registered ones)."""
    from polyseq.domain import resolve
    from polyseq.errors import unknown_name
    from polyseq.plugins import registry

    backbones = registry().backbones
    if name not in backbones:
        raise unknown_name("backbone", name, backbones, where=" (--model.backbone)")
    return resolve(backbones[name].ref, f"backbone {name!r}")


def modes_of(cls: type) -> tuple[str, ...]:
    return tuple(getattr(cls, "modes", ("causal", "bidirectional")))


def mode_fields(mode: str) -> dict[str, Any]:
    """The config fields a mode fixes: `causal`, and `cross_attention` for a decoder."""
    return {"causal": mode != "bidirectional", **({"cross_attention": True} if mode == "decoder" else {})}


def build_backbone(name: str, mode: str, vocab_size: int, options: dict[str, Any], max_length: int = 0,
                   sizes: dict[str, Any] | None = None) -> nn.Module:
    """A registered backbone built for `mode`.

    `options` are the user's explicit config values (an unknown key is an error naming the
    backbone's options); `sizes` are the model's generic sizes (d_model, n_layers, n_heads,
    dropout), used only where the backbone's config has such a field; `default_options` fills
    the rest for the mode.
    """
    cls = backbone_class(name)
    if mode not in modes_of(cls):
        raise ConfigError(f"backbone {name!r} cannot be built as {mode!r} (the task needs it); "
                          f"it supports: {', '.join(modes_of(cls))}")
    cfg_cls = config_class(cls)
    fields = {f.name for f in dataclasses.fields(cfg_cls)}
    unknown = sorted(k for k in options if k not in fields)
    if unknown:
        raise ConfigError(f"--model: option(s) {', '.join(unknown)} do not apply to backbone {name!r}. "
                          f"Its options: {', '.join(sorted(fields - {'vocab_size', 'causal', 'cross_attention'}))}")
    defaults = cls.default_options(mode, max_length) if hasattr(cls, "default_options") else {}
    fixed = {k: v for k, v in mode_fields(mode).items() if k in fields}
    values = {**defaults, **{k: v for k, v in (sizes or {}).items() if k in fields and v is not None}, **fixed, **options}
    # an explicit `causal` (a backbone kept as it was pretrained) stands, except in a decoder, which must be causal
    values.update(vocab_size=vocab_size, **(fixed if mode == "decoder" else {}))
    return cls(cfg_cls(**values))


def adapt_config(backbone: nn.Module, mode: str) -> Any:
    """The config that reuses `backbone`'s weights in another mode (pretrain -> fine-tune).

    A backbone whose weights serve several modes (a Transformer: only the attention mask differs)
    says so with `adapt_config(config, mode)`; otherwise the config is kept as it was trained.
    """
    adapt = getattr(type(backbone), "adapt_config", None)
    return adapt(backbone.config, mode) if adapt is not None else backbone.config


def options_of(config: Any) -> dict[str, Any]:
    """A built config as `options` for `build_backbone`: everything but the vocabulary size (the data's)
    and cross-attention (the mode's); `causal` is kept, so the backbone rebuilds as it was built."""
    return {k: v for k, v in dataclasses.asdict(config).items() if k not in ("vocab_size", "cross_attention")}


def freeze(backbone: nn.Module, how: str, n_layers: int = 0) -> None:
    """none; backbone: every weight; layers: the embeddings and the first `n_layers` layers."""
    if how not in FREEZE:
        raise ConfigError(f"--model.freeze={how!r} is not one of {', '.join(FREEZE)}")
    if how == "none":
        return
    if how == "backbone":
        frozen: Sequence[nn.Parameter] = list(backbone.parameters())
    else:
        for method in ("embedding_parameters", "layer_parameters"):
            if not hasattr(backbone, method):
                raise ConfigError(f"--model.freeze=layers: backbone {type(backbone).__name__} does not list its "
                                  f"layers ({method}); freeze the whole backbone instead")
        layers = backbone.layer_parameters()
        if n_layers > len(layers):
            raise ConfigError(f"--model.freeze_layers={n_layers} but the backbone has {len(layers)} layers")
        frozen = list(backbone.embedding_parameters()) + [p for layer in layers[:n_layers] for p in layer]
    for p in frozen:
        p.requires_grad_(False)


FREEZE = ("none", "backbone", "layers")
