"""A recurrent backbone: stacked LSTM or GRU, unidirectional (decoder) or bidirectional (encoder).

References:
    Hochreiter & Schmidhuber 1997, "Long Short-Term Memory"; Cho et al. 2014 (the GRU);
    Schuster & Paliwal 1997, "Bidirectional Recurrent Neural Networks";
    Zaremba et al. 2014, "Recurrent Neural Network Regularization" (dropout between layers);
    PyTorch examples, word_language_model/model.py (the shape of this file).

Where polyseq differs from the PyTorch example: padded batches are packed
(`pack_padded_sequence(enforce_sorted=False)`), so padding never enters the recurrent state and a
bidirectional pass starts each row's backward direction at its last real token; a bidirectional
output (2 * d_model) is projected back to d_model so every backbone has the same output width;
the output goes through a LayerNorm (as the Transformer's final norm) and embeddings start
uniform in [-0.1, 0.1] as in the PyTorch example. With the tied LM head, tanh-bounded outputs and
0.02-scale embeddings gave near-zero logits and gradients: a 2-layer LSTM stayed at the unigram
loss for 120 steps, every seed alike (`polyseq compare examples/compare_quick.yaml`, 2026-11-26;
with both changes MIDI bits/byte fell from 1.45 to 0.62, text from 4.61 to 3.98).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from polyseq.errors import ConfigError
from polyseq.models.backbone import count_parameters, require_causal
from polyseq.tokenizers.base import PAD_ID

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}

RNNState = tuple[torch.Tensor, torch.Tensor] | torch.Tensor  # LSTM (h, c) or GRU h, each (L * dirs, B, C)


@dataclass
class RNNConfig:
    vocab_size: int
    d_model: int = 256  # embedding width, hidden size per direction, and output width
    n_layers: int = 2
    cell: str = "lstm"  # one of CELLS
    bidirectional: bool = False  # encoders only (causal=False)
    causal: bool = True  # True: decoder (unidirectional, `step` available)
    dropout: float = 0.1  # on embeddings, between layers and on the output
    max_len: int | None = None  # None: no limit (an RNN has no position table); else forward rejects longer input

    def __post_init__(self) -> None:
        ints = ("vocab_size", "d_model", "n_layers")
        problems = [f"{n}={getattr(self, n)!r} must be a positive integer" for n in ints if not _pos_int(getattr(self, n))]
        if self.max_len is not None and not _pos_int(self.max_len):
            problems.append(f"max_len={self.max_len!r} must be a positive integer or None (no limit)")
        if self.cell not in CELLS:
            problems.append(f"cell={self.cell!r} is not one of {', '.join(CELLS)}")
        problems += [f"{n}={getattr(self, n)!r} must be true or false" for n in ("bidirectional", "causal")
                     if not isinstance(getattr(self, n), bool)]
        if self.bidirectional is True and self.causal is True:
            problems.append("bidirectional=True needs causal=False: a bidirectional RNN sees future tokens")
        if not (isinstance(self.dropout, (int, float)) and 0.0 <= self.dropout < 1.0):
            problems.append(f"dropout={self.dropout!r} must be in [0, 1)")
        if problems:
            raise ConfigError(problems)


def _pos_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


class RNN(nn.Module):
    config_class = RNNConfig
    modes = ("causal", "bidirectional")

    @classmethod
    def default_options(cls, mode: str, max_length: int) -> dict[str, object]:
        return {"bidirectional": mode == "bidirectional"}  # an encoder reads both ways

    def __init__(self, config: RNNConfig):
        super().__init__()
        self.config, self.d_model, self.causal = config, config.d_model, config.causal
        self.token_embedding = nn.Embedding(config.vocab_size, config.d_model, padding_idx=PAD_ID)
        self.drop = nn.Dropout(config.dropout)
        self.rnn = CELLS[config.cell](
            config.d_model, config.d_model, num_layers=config.n_layers, batch_first=True,
            dropout=config.dropout if config.n_layers > 1 else 0.0, bidirectional=config.bidirectional,
        )
        self.proj = nn.Linear(2 * config.d_model, config.d_model) if config.bidirectional else nn.Identity()
        self.norm = nn.LayerNorm(config.d_model)
        nn.init.uniform_(self.token_embedding.weight, -0.1, 0.1)  # recurrent weights: PyTorch's init
        self.token_embedding.weight.data[PAD_ID].zero_()
        if config.bidirectional:
            nn.init.normal_(self.proj.weight, mean=0.0, std=0.02)
            nn.init.zeros_(self.proj.bias)

    def num_parameters(self, trainable_only: bool = False) -> int:
        return count_parameters(self, trainable_only)

    def embedding_parameters(self) -> list[nn.Parameter]:
        return list(self.token_embedding.parameters())

    def layer_parameters(self) -> list[list[nn.Parameter]]:
        """nn.LSTM/GRU holds every layer; its weights end in `_l<k>` (and `_l<k>_reverse`)."""
        by_layer = [[p for name, p in self.rnn.named_parameters() if re.search(rf"_l{k}(_reverse)?$", name)]
                    for k in range(self.config.n_layers)]
        return by_layer  # the output projection and norm belong to no layer: never frozen by `layers`

    def forward(self, ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """ids (B, T), attention_mask (B, T) True = real token, right-padded (None: no padding) -> (B, T, C)."""
        if self.config.max_len is not None and ids.shape[1] > self.config.max_len:
            raise ConfigError(
                f"sequence of {ids.shape[1]} tokens is longer than the model's max_len={self.config.max_len}: "
                f"shorten the input (--data.max_length) or build the model with a larger max_len"
            )
        hidden, _ = self._run(ids, None, attention_mask)
        return hidden

    def _run(self, ids, state: RNNState | None, attention_mask) -> tuple[torch.Tensor, RNNState]:
        T = ids.shape[1]
        x = self.drop(self.token_embedding(ids))  # (B, T, C)
        lengths = None if attention_mask is None else _lengths(attention_mask)
        if lengths is None or bool((lengths == T).all()):  # no padding: skip packing (faster)
            out, state = self.rnn(x, state)  # (B, T, dirs * C)
        else:
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, state = self.rnn(packed, state)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)  # (B, T, dirs * C), zeros at pads
        return self.drop(self.norm(self.proj(out))), state  # (B, T, C)

    def init_state(self, batch_size: int, device=None, dtype: torch.dtype | None = None) -> RNNState:
        """Zero states, as `forward` starts from: LSTM (h, c), GRU h, each (n_layers, B, d_model)."""
        require_causal(self)
        weight = self.token_embedding.weight
        shape = (self.config.n_layers, batch_size, self.config.d_model)
        h = torch.zeros(shape, device=device or weight.device, dtype=dtype or weight.dtype)
        return (h, torch.zeros_like(h)) if self.config.cell == "lstm" else h

    def step(
        self, ids: torch.Tensor, state: RNNState, attention_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, RNNState]:
        """Feed ids (B, T_new) after `state` -> (hidden (B, T_new, C), new state); `state` is not modified.

        A right-padded prompt (attention_mask True = real token) leaves each row's state at its last
        real token, so the next single tokens continue every row where its prompt ended.
        """
        require_causal(self)
        return self._run(ids, state, attention_mask)


def _lengths(attention_mask: torch.Tensor) -> torch.Tensor:
    """Real tokens per row, on the CPU as pack_padded_sequence wants; the mask must be right-padded."""
    mask = attention_mask.detach().to("cpu", torch.bool)
    lengths = mask.sum(1)
    if not torch.equal(mask, torch.arange(mask.shape[1])[None, :] < lengths[:, None]):
        raise ValueError("the RNN backbone needs right-padded batches (real tokens first, then padding)")
    return lengths.clamp(min=1)  # an all-padding row runs one pad token; its outputs are ignored anyway
