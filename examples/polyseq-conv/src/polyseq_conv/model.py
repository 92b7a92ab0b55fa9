"""A dilated convolutional backbone: token embeddings, then residual blocks of dilated 1-D convolutions.

References:
    van den Oord et al. 2016, "WaveNet: A Generative Model for Raw Audio" (dilated causal
    convolutions, the dilation doubling from layer to layer);
    Paine et al. 2016, "Fast Wavenet Generation Algorithm" (incremental decoding: each layer keeps
    its last inputs, so a new token costs one column per layer - what `step` does);
    Kalchbrenner et al. 2016, "Neural Machine Translation in Linear Time" (ByteNet: residual blocks
    of dilated convolutions over tokens, masked in the decoder, unmasked in the encoder);
    Bai, Kolter & Koltun 2018, "An Empirical Evaluation of Generic Convolutional and Recurrent
    Networks for Sequence Modeling" (the TCN: causal padding in residual blocks).

Where this differs from WaveNet: blocks are pre-norm, x + dropout(proj(gelu(conv(norm(x))))), as the
Transformer's blocks are, instead of gated activations with skip connections; padded positions are
set to zero before every convolution, so a padded row (on either side) gives the hidden states of
the row alone - padding looks exactly like the zero padding at the sequence's edges. There are no
position embeddings: a convolution sees relative positions, and the zero edges say where a
sequence starts and ends.

Modes: "causal" pads each convolution on the left by (kernel_size - 1) * dilation, so position t
sees tokens <= t, and `step` decodes incrementally; "bidirectional" pads half of that on each side
(kernel_size must be odd). "decoder" (attending to an encoder's output) is not offered. The same
taps read other positions in the two modes, so a causal model's weights are no encoder's: there is
no `adapt_config`, and fine-tuning from a causal checkpoint keeps it causal.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from polyseq import PAD_ID, ConfigError
from polyseq.models.backbone import count_parameters, require_causal


@dataclass
class ConvConfig:
    vocab_size: int
    d_model: int = 256  # embedding width, channels of every convolution, output width
    n_layers: int = 4
    kernel_size: int = 3  # taps per convolution; odd when bidirectional (2 is WaveNet's causal choice)
    dilation_growth: int = 2  # layer i has dilation min(dilation_growth ** i, max_dilation)
    max_dilation: int = 512  # default_options lowers it to what the data's longest sequence can use
    dropout: float = 0.1  # on the embeddings and on each block's residual branch
    causal: bool = True  # True: position t sees tokens <= t, and `step` is available

    def __post_init__(self) -> None:
        ints = ("vocab_size", "d_model", "n_layers", "dilation_growth", "max_dilation")
        problems = [f"{n}={getattr(self, n)!r} must be a positive integer" for n in ints if not _pos_int(getattr(self, n))]
        if not (_pos_int(self.kernel_size) and self.kernel_size >= 2):
            problems.append(f"kernel_size={self.kernel_size!r} must be an integer >= 2")
        elif self.causal is False and self.kernel_size % 2 == 0:
            problems.append(f"kernel_size={self.kernel_size} must be odd when bidirectional (causal=False): "
                            "the padding is split evenly between both sides")
        if not (isinstance(self.dropout, (int, float)) and 0.0 <= self.dropout < 1.0):
            problems.append(f"dropout={self.dropout!r} must be in [0, 1)")
        if not isinstance(self.causal, bool):
            problems.append(f"causal={self.causal!r} must be true or false")
        if problems:
            raise ConfigError(problems)

    def dilations(self) -> list[int]:
        return [min(self.dilation_growth**i, self.max_dilation) for i in range(self.n_layers)]

    @property
    def receptive_field(self) -> int:
        """How many consecutive tokens one hidden state depends on (causal: t and the ones before it)."""
        return 1 + (self.kernel_size - 1) * sum(self.dilations())


def _pos_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


class ConvBlock(nn.Module):
    """x + dropout(proj(gelu(conv(norm(x))))), the convolution dilated and unpadded (the caller pads)."""

    def __init__(self, config: ConvConfig, dilation: int):
        super().__init__()
        self.context = (config.kernel_size - 1) * dilation  # extra inputs the convolution reads per output
        self.norm = nn.LayerNorm(config.d_model)
        self.conv = nn.Conv1d(config.d_model, config.d_model, config.kernel_size, dilation=dilation)
        self.proj = nn.Linear(config.d_model, config.d_model)
        self.drop = nn.Dropout(config.dropout)

    def conv_input(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """norm(x) (B, T, C), zero at padded positions (mask: True = real token)."""
        u = self.norm(x)
        return u if mask is None else u * mask.unsqueeze(-1).to(u.dtype)

    def forward(self, x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """x (B, T, C) and its conv input with `context` more positions (B, T + context, C) -> (B, T, C)."""
        y = self.conv(u.transpose(1, 2)).transpose(1, 2)  # (B, C, T + context) -> (B, C, T) -> (B, T, C)
        return x + self.drop(self.proj(F.gelu(y)))


@dataclass
class ConvState:
    """What `step` carries: for each layer, its last `context` conv inputs (B, context, C)."""

    inputs: list[torch.Tensor]


class Conv(nn.Module):
    config_class = ConvConfig
    modes = ("causal", "bidirectional")

    @classmethod
    def default_options(cls, mode: str, max_length: int) -> dict[str, object]:
        """Dilations stop growing at half the data's longest sequence: with the default kernel_size 3,
        a larger dilation's outer taps would only ever read padding."""
        return {"max_dilation": max(1, max_length // 2)} if max_length > 1 else {}

    def __init__(self, config: ConvConfig):
        super().__init__()
        self.config, self.d_model, self.causal = config, config.d_model, config.causal
        self.token_embedding = nn.Embedding(config.vocab_size, config.d_model, padding_idx=PAD_ID)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(ConvBlock(config, d) for d in config.dilations())
        self.norm = nn.LayerNorm(config.d_model)
        nn.init.normal_(self.token_embedding.weight, mean=0.0, std=0.02)
        self.token_embedding.weight.data[PAD_ID].zero_()
        for block in self.blocks:
            nn.init.normal_(block.proj.weight, mean=0.0, std=0.02)
            nn.init.zeros_(block.proj.bias)

    def num_parameters(self, trainable_only: bool = False) -> int:
        return count_parameters(self, trainable_only)

    def embedding_parameters(self) -> list[nn.Parameter]:
        return list(self.token_embedding.parameters())

    def layer_parameters(self) -> list[list[nn.Parameter]]:
        return [list(block.parameters()) for block in self.blocks]  # the final norm belongs to no layer

    def forward(self, ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """ids (B, T), attention_mask (B, T) True = real token (None: no padding) -> hidden (B, T, C)."""
        x = self.drop(self.token_embedding(ids))  # (B, T, C)
        for block in self.blocks:
            left = block.context if self.causal else block.context // 2
            u = F.pad(block.conv_input(x, attention_mask), (0, 0, left, block.context - left))  # (B, T + context, C)
            x = block(x, u)
        return self.norm(x)

    def init_state(self, batch_size: int, device=None, dtype: torch.dtype | None = None) -> ConvState:
        """Zeros: before the first token a causal convolution reads its zero padding."""
        require_causal(self)
        weight = self.token_embedding.weight
        device, dtype = device or weight.device, dtype or weight.dtype
        return ConvState([torch.zeros(batch_size, b.context, self.d_model, device=device, dtype=dtype) for b in self.blocks])

    def step(
        self, ids: torch.Tensor, state: ConvState, attention_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, ConvState]:
        """Feed ids (B, T_new) after `state` -> (hidden (B, T_new, C), new state); `state` is not modified.

        A prompt may be padded on either side (attention_mask True = real token): each row's new
        state ends at its last real token, so the next tokens continue the row where it ended.
        """
        require_causal(self)
        T = ids.shape[1]
        real = torch.ones_like(ids, dtype=torch.bool) if attention_mask is None else attention_mask.bool()
        # each row's last real new token; -1 for a row with none (its windows stay where they were)
        last = torch.where(real.any(1), T - 1 - real.flip(1).int().argmax(1), -1)  # (B,)
        x = self.drop(self.token_embedding(ids))  # (B, T, C)
        inputs = []
        for block, past in zip(self.blocks, state.inputs, strict=True):
            u = torch.cat([past, block.conv_input(x, real)], 1)  # (B, context + T, C)
            x = block(x, u)
            inputs.append(_window(u, last + 1, block.context))
        return self.norm(x), ConvState(inputs)


def _window(u: torch.Tensor, start: torch.Tensor, n: int) -> torch.Tensor:
    """Rows of u (B, L, C) cut to [start_b, start_b + n) each -> (B, n, C)."""
    index = start[:, None] + torch.arange(n, device=u.device)[None, :]  # (B, n)
    return u.gather(1, index[..., None].expand(-1, -1, u.shape[2]))
