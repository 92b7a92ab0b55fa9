"""A recurrent backbone: stacked LSTM or GRU, unidirectional (decoder) or bidirectional (encoder),
optionally attending to an encoder's output (the decoder of an encoder-decoder).

References:
    Hochreiter & Schmidhuber 1997, "Long Short-Term Memory"; Cho et al. 2014 (the GRU);
    Schuster & Paliwal 1997, "Bidirectional Recurrent Neural Networks";
    Zaremba et al. 2014, "Recurrent Neural Network Regularization" (dropout between layers);
    PyTorch examples, word_language_model/model.py (the shape of this file);
    Luong, Pham & Manning 2015, "Effective Approaches to Attention-based Neural Machine Translation"
    (the decoder's attention); Bahdanau, Cho & Bengio 2015 (a decoder state initialised from the encoder).

Where polyseq differs from the PyTorch example: padded batches are packed
(`pack_padded_sequence(enforce_sorted=False)`), so padding never enters the recurrent state and a
bidirectional pass starts each row's backward direction at its last real token; a bidirectional
output (2 * d_model) is projected back to d_model (no bias) so every backbone has the same output
width; the output goes through a LayerNorm (as the Transformer's final norm) and embeddings start
uniform in [-0.1, 0.1] as in the PyTorch example. With the tied LM head, tanh-bounded outputs and
0.02-scale embeddings gave near-zero logits and gradients: a 2-layer LSTM stayed at the unigram
loss for 120 steps, every seed alike (`polyseq compare examples/compare_quick.yaml`, 2026-11-26;
with both changes MIDI bits/byte fell from 1.45 to 0.62, text from 4.61 to 3.98).

The embeddings enter the RNN multiplied by sqrt(d_model) (as Vaswani et al. 2017, section 3.4, scale
embeddings shared with the output layer): the tied LM head keeps its 0.1-scale logits while the
recurrent layer gets inputs of about unit size. Unscaled (std 0.06), the input moved each gate's
pre-activation by about 0.03 against 0.07 from PyTorch's uniform(+-1/sqrt(d)) biases, so the output
was mostly a constant the input barely changed; the bidirectional projection's bias, placed before
the LayerNorm, added a second constant that AdamW grew faster than the signal. Classifiers learnt
slowly (splice junctions 0.70 against the Transformer's 0.95 at 250 steps) and a BPE language model
stayed at its unigram loss, the same for every seed (BENCHMARKS.md, "LSTM classifiers", issue 17).

An encoder (mode "bidirectional", `default_options`) adds a learned table of absolute positions to
its embeddings, as the Transformer's "learned" positions (`positional="learned"`, `max_len` the
data's longest sequence); decoders keep none (`positional="none"`), so they generate past any length.
Where the label depends on what stands at a fixed place (a splice junction in the middle of every
60-nt window; which letter is at position 30 of 60 random ones) a recurrent net without positions
has to learn to count: that synthetic task stayed at chance (0.31) after 300 steps and even 1,000,
with mean, max, first or last-token pooling alike, and splice junctions at 0.85 where the
Transformer had 0.95; with the table the LSTM gets 1.00 on the first and 0.97 on the second (the
Transformer 0.95; BENCHMARKS.md, "LSTM classifiers", issue 17).

With `cross_attention=True` (mode "decoder") the unidirectional RNN's top-layer outputs h_t attend
over `memory` (B, S, C) with Luong's global "general" attention: score(h_t, m_s) = h_t^T W_a m_s,
context c_t = sum_s softmax(score)_s m_s over real memory positions, and the output is the attentional
state tanh(W_c [c_t; h_t]) (then the LayerNorm, as above). Input feeding (Luong section 3.3, h~_{t-1}
fed with the next input) is not used: without it the recurrent pass still runs over the whole target
in one cuDNN call during training, and attention over all steps is one batched matmul. The initial
state is derived from the memory, as Bahdanau et al. (appendix A.2.2) derive s_0 from the encoder:
h_0 = tanh(W_s mean(memory over real positions)) for each layer (an LSTM's c_0 is zero).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from polyseq.errors import ConfigError
from polyseq.models.backbone import count_parameters, require_causal
from polyseq.models.encdec import check_memory, some_real
from polyseq.tokenizers.base import PAD_ID

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}
POSITIONALS = ("none", "learned")  # learned: an absolute position table added to the embeddings (docstring)

RNNState = tuple[torch.Tensor, torch.Tensor] | torch.Tensor  # LSTM (h, c) or GRU h, each (L * dirs, B, C)


@dataclass
class RNNConfig:
    vocab_size: int
    d_model: int = 256  # embedding width, hidden size per direction, and output width
    n_layers: int = 2
    cell: str = "lstm"  # one of CELLS
    bidirectional: bool = False  # encoders only (causal=False)
    causal: bool = True  # True: decoder (unidirectional, `step` available)
    cross_attention: bool = False  # True: outputs attend to `memory` (an encoder's output), Luong et al. 2015
    dropout: float = 0.1  # on embeddings, between layers and on the output
    max_len: int | None = None  # None: no limit; else forward rejects longer input (and the position table's size)
    positional: str = "none"  # one of POSITIONALS; "learned" needs max_len (encoders default to it: default_options)

    def __post_init__(self) -> None:
        ints = ("vocab_size", "d_model", "n_layers")
        problems = [f"{n}={getattr(self, n)!r} must be a positive integer" for n in ints if not _pos_int(getattr(self, n))]
        if self.max_len is not None and not _pos_int(self.max_len):
            problems.append(f"max_len={self.max_len!r} must be a positive integer or None (no limit)")
        if self.positional not in POSITIONALS:
            problems.append(f"positional={self.positional!r} is not one of {', '.join(POSITIONALS)}")
        elif self.positional == "learned" and self.max_len is None:
            problems.append("positional='learned' needs max_len (the size of the position table), got None")
        elif self.positional == "learned" and self.causal is not False:
            problems.append("positional='learned' needs causal=False: a decoder's `step` state keeps no position count")
        if self.cell not in CELLS:
            problems.append(f"cell={self.cell!r} is not one of {', '.join(CELLS)}")
        flags = ("bidirectional", "causal", "cross_attention")
        problems += [f"{n}={getattr(self, n)!r} must be true or false" for n in flags
                     if not isinstance(getattr(self, n), bool)]
        if self.bidirectional is True and self.causal is True:
            problems.append("bidirectional=True needs causal=False: a bidirectional RNN sees future tokens")
        if self.bidirectional is True and self.cross_attention is True:
            problems.append("cross_attention=True needs bidirectional=False: the decoder reads left to right")
        if not (isinstance(self.dropout, (int, float)) and 0.0 <= self.dropout < 1.0):
            problems.append(f"dropout={self.dropout!r} must be in [0, 1)")
        if problems:
            raise ConfigError(problems)


def _pos_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


class LuongAttention(nn.Module):
    """Global attention with the "general" score (Luong et al. 2015, sections 3.1 and 3.3, no input feeding)."""

    def __init__(self, d_model: int):
        super().__init__()
        self.score = nn.Linear(d_model, d_model, bias=False)  # W_a; keys = W_a m_s, computed once per memory
        self.combine = nn.Linear(2 * d_model, d_model, bias=False)  # W_c

    def forward(
        self,
        h: torch.Tensor,  # (B, T, C) the RNN's top-layer outputs
        memory: torch.Tensor,  # (B, S, C) the values
        keys: torch.Tensor,  # (B, S, C) self.score(memory)
        mask: torch.Tensor | None,  # (B, S) True = real memory position (some_real: never an empty row)
    ) -> torch.Tensor:
        scores = h @ keys.transpose(1, 2)  # (B, T, S)
        if mask is not None:
            scores = scores.masked_fill(~mask[:, None, :], float("-inf"))
        context = scores.softmax(-1) @ memory  # (B, T, C)
        return torch.tanh(self.combine(torch.cat([context, h], dim=-1)))  # (B, T, C) attentional state


@dataclass
class RNNDecoderState:
    """What an RNN decoder (cross_attention) carries between `step`s."""

    rnn: RNNState  # LSTM (h, c) or GRU h, each (n_layers, B, C)
    memory: torch.Tensor  # (B, S, C) the encoder's output
    keys: torch.Tensor  # (B, S, C) W_a memory, projected once in init_state
    memory_mask: torch.Tensor | None  # (B, S) True = real memory position; None: nothing padded


class RNN(nn.Module):
    config_class = RNNConfig
    modes = ("causal", "bidirectional", "decoder")

    @classmethod
    def default_options(cls, mode: str, max_length: int) -> dict[str, object]:
        """An encoder reads both ways and, given the data's longest sequence, knows absolute positions
        (docstring); a decoder keeps no position table, so it generates past any length."""
        if mode != "bidirectional":
            return {"bidirectional": False}
        positions = {"positional": "learned", "max_len": max_length} if max_length > 0 else {}
        return {"bidirectional": True, **positions}

    def __init__(self, config: RNNConfig):
        super().__init__()
        self.config, self.d_model, self.causal = config, config.d_model, config.causal
        self.token_embedding = nn.Embedding(config.vocab_size, config.d_model, padding_idx=PAD_ID)
        self.drop = nn.Dropout(config.dropout)
        self.rnn = CELLS[config.cell](
            config.d_model, config.d_model, num_layers=config.n_layers, batch_first=True,
            dropout=config.dropout if config.n_layers > 1 else 0.0, bidirectional=config.bidirectional,
        )
        # no bias before the LayerNorm: a learnt offset there drowns the per-token signal (docstring)
        self.proj = nn.Linear(2 * config.d_model, config.d_model, bias=False) if config.bidirectional else nn.Identity()
        self.norm = nn.LayerNorm(config.d_model)
        self.input_scale = math.sqrt(config.d_model)  # embeddings ~ unit size into the RNN (docstring)
        nn.init.uniform_(self.token_embedding.weight, -0.1, 0.1)  # recurrent weights and proj: PyTorch's init
        self.token_embedding.weight.data[PAD_ID].zero_()
        if config.positional == "learned":
            self.position_embedding = nn.Embedding(config.max_len, config.d_model)
            nn.init.uniform_(self.position_embedding.weight, -0.1, 0.1)  # the tokens' scale
        if config.cross_attention:
            self.attention = LuongAttention(config.d_model)
            self.bridge = nn.Linear(config.d_model, config.n_layers * config.d_model)  # memory -> h_0 per layer

    def num_parameters(self, trainable_only: bool = False) -> int:
        return count_parameters(self, trainable_only)

    def embedding_parameters(self) -> list[nn.Parameter]:
        positions = getattr(self, "position_embedding", None)
        return list(self.token_embedding.parameters()) + ([] if positions is None else list(positions.parameters()))

    def layer_parameters(self) -> list[list[nn.Parameter]]:
        """nn.LSTM/GRU holds every layer; its weights end in `_l<k>` (and `_l<k>_reverse`)."""
        by_layer = [[p for name, p in self.rnn.named_parameters() if re.search(rf"_l{k}(_reverse)?$", name)]
                    for k in range(self.config.n_layers)]
        return by_layer  # the output projection and norm belong to no layer: never frozen by `layers`

    def forward(
        self,
        ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        memory: torch.Tensor | None = None,
        memory_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """ids (B, T), attention_mask (B, T) True = real token, right-padded (None: no padding) -> (B, T, C).

        A decoder (cross_attention) needs `memory` (B, S, C), the encoder's output, and `memory_mask` (B, S).
        """
        if self.config.max_len is not None and ids.shape[1] > self.config.max_len:
            raise ConfigError(
                f"sequence of {ids.shape[1]} tokens is longer than the model's max_len={self.config.max_len}: "
                f"shorten the input (--data.max_length) or build the model with a larger max_len"
            )
        if not check_memory("RNN", memory, memory_mask, ids.shape[0], self.d_model, self.config.cross_attention):
            hidden, _ = self._run(ids, None, attention_mask)
            return hidden
        hidden, _ = self._decode(ids, self._decoder_state(memory, memory_mask), attention_mask)
        return hidden

    def _run(self, ids, state: RNNState | None, attention_mask) -> tuple[torch.Tensor, RNNState]:
        out, state = self._recur(ids, state, attention_mask)
        return self.drop(self.norm(self.proj(out))), state  # (B, T, C)

    def _recur(self, ids, state: RNNState | None, attention_mask) -> tuple[torch.Tensor, RNNState]:
        T = ids.shape[1]
        x = self.token_embedding(ids)  # (B, T, C)
        if self.config.positional == "learned":
            x = x + self.position_embedding.weight[:T]  # (T, C) broadcast over the batch; pads are never read
        x = self.drop(x * self.input_scale)
        lengths = None if attention_mask is None else _lengths(attention_mask)
        if lengths is None or bool((lengths == T).all()):  # no padding: skip packing (faster)
            out, state = self.rnn(x, state)  # (B, T, dirs * C)
        else:
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, state = self.rnn(packed, state)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)  # (B, T, dirs * C), zeros at pads
        return out, state

    def _decoder_state(self, memory: torch.Tensor, memory_mask: torch.Tensor | None) -> RNNDecoderState:
        """Project the memory to attention keys and to the initial state h_0 = tanh(W_s mean(memory))."""
        if memory_mask is None:
            pooled = memory.mean(1)  # (B, C)
        else:
            real = memory_mask.to(memory.dtype).unsqueeze(-1)  # (B, S, 1)
            pooled = (memory * real).sum(1) / real.sum(1).clamp(min=1)  # (B, C)
        L, B, C = self.config.n_layers, memory.shape[0], self.d_model
        h = torch.tanh(self.bridge(pooled)).view(B, L, C).transpose(0, 1).contiguous()  # (L, B, C)
        rnn = (h, torch.zeros_like(h)) if self.config.cell == "lstm" else h
        mask = None if memory_mask is None else some_real(memory_mask)
        return RNNDecoderState(rnn=rnn, memory=memory, keys=self.attention.score(memory), memory_mask=mask)

    def init_state(
        self, batch_size: int, device=None, dtype: torch.dtype | None = None, max_len: int | None = None,
        memory: torch.Tensor | None = None, memory_mask: torch.Tensor | None = None,
    ) -> RNNState | RNNDecoderState:
        """The state `forward` starts from. A plain RNN: zeros, LSTM (h, c) or GRU h, each
        (n_layers, B, d_model). A decoder (cross_attention): an `RNNDecoderState` built from `memory`.
        `max_len` is accepted for the common signature and ignored (a recurrent state has no length);
        so are `device` and `dtype` for a decoder, whose state follows `memory`."""
        require_causal(self)
        if check_memory("RNN", memory, memory_mask, batch_size, self.d_model, self.config.cross_attention):
            return self._decoder_state(memory, memory_mask)
        weight = self.token_embedding.weight
        device, dtype = device or weight.device, dtype or weight.dtype
        h = torch.zeros((self.config.n_layers, batch_size, self.config.d_model), device=device, dtype=dtype)
        return (h, torch.zeros_like(h)) if self.config.cell == "lstm" else h

    def step(
        self, ids: torch.Tensor, state: RNNState | RNNDecoderState, attention_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, RNNState | RNNDecoderState]:
        """Feed ids (B, T_new) after `state` -> (hidden (B, T_new, C), new state); `state` is not modified.

        A right-padded prompt (attention_mask True = real token) leaves each row's state at its last
        real token, so the next single tokens continue every row where its prompt ended.
        """
        require_causal(self)
        if isinstance(state, RNNDecoderState):
            return self._decode(ids, state, attention_mask)
        return self._run(ids, state, attention_mask)

    def _decode(self, ids, state: RNNDecoderState, attention_mask) -> tuple[torch.Tensor, RNNDecoderState]:
        out, rnn = self._recur(ids, state.rnn, attention_mask)  # (B, T, C)
        attended = self.attention(out, state.memory, state.keys, state.memory_mask)  # (B, T, C)
        return self.drop(self.norm(attended)), replace(state, rnn=rnn)

    @staticmethod
    def reorder_state(state: RNNState | RNNDecoderState, index: torch.Tensor) -> RNNState | RNNDecoderState:
        """A new state whose row i is row index[i] of `state` (index: LongTensor (B_new,), rows may repeat:
        beam search keeps, drops and duplicates hypotheses). `state` itself is left as it was."""
        if isinstance(state, RNNDecoderState):
            return RNNDecoderState(
                rnn=RNN.reorder_state(state.rnn, index), memory=state.memory.index_select(0, index),
                keys=state.keys.index_select(0, index),
                memory_mask=None if state.memory_mask is None else state.memory_mask.index_select(0, index),
            )
        if isinstance(state, tuple):  # LSTM (h, c): rows are dim 1
            return tuple(t.index_select(1, index) for t in state)
        return state.index_select(1, index)


def _lengths(attention_mask: torch.Tensor) -> torch.Tensor:
    """Real tokens per row, on the CPU as pack_padded_sequence wants; the mask must be right-padded."""
    mask = attention_mask.detach().to("cpu", torch.bool)
    lengths = mask.sum(1)
    if not torch.equal(mask, torch.arange(mask.shape[1])[None, :] < lengths[:, None]):
        raise ValueError("the RNN backbone needs right-padded batches (real tokens first, then padding)")
    return lengths.clamp(min=1)  # an all-padding row runs one pad token; its outputs are ignored anyway
