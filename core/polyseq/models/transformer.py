"""A pre-norm Transformer backbone: an encoder (bidirectional, padding mask) or a decoder (causal, KV cache),
optionally cross-attending to an encoder's output (the decoder of an encoder-decoder).

References:
    Vaswani et al. 2017, "Attention Is All You Need" (architecture, sinusoidal positions);
    Radford et al. 2019, GPT-2 (pre-norm blocks, final norm, init scaled by 1/sqrt(2 * n_layers));
    Su et al. 2021, "RoFormer" (rotary position embedding, "rotate half" form as in GPT-NeoX);
    Karpathy, nanoGPT model.py (the shape of this file).

Where polyseq differs from nanoGPT: one class serves encoder and decoder (`causal`); a padding mask
is honoured (padded keys are never attended to, and positions count real tokens only, so left and
right padding give the same hidden states); and `step` decodes incrementally with a KV cache.

With `cross_attention=True` each block is a `DecoderBlock` (Vaswani et al. 2017, section 3.1: a
cross-attention sublayer between self-attention and MLP, here pre-norm like the others). Its
queries come from the decoder, its keys/values from `memory` (B, S, C) with padded memory positions
masked; no positions are added to them (the encoder put its own into `memory`). `init_state`
projects the memory to each layer's keys/values once, so `step` never recomputes them. Without
cross-attention the blocks, their state_dict keys and their outputs are those of a plain decoder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from polyseq.errors import ConfigError
from polyseq.models.backbone import count_parameters, require_causal
from polyseq.models.encdec import check_memory, some_real
from polyseq.tokenizers.base import PAD_ID

POSITIONALS = ("learned", "sinusoidal", "rope")


@dataclass
class TransformerConfig:
    vocab_size: int
    d_model: int = 256
    n_layers: int = 4
    n_heads: int = 4
    d_ff: int | None = None  # width of the MLP; None: 4 * d_model
    dropout: float = 0.1  # on embeddings, attention weights and residual branches
    max_len: int = 1024  # longest sequence accepted (forward, and prompt + generated tokens in `step`)
    causal: bool = False  # False: encoder (bidirectional); True: decoder (causal, KV cache)
    cross_attention: bool = False  # True: every block also attends to `memory` (an encoder's output)
    positional: str = "learned"  # one of POSITIONALS
    norm_eps: float = 1e-5
    bias: bool = True  # biases in Linear and LayerNorm (False: a little faster, as in nanoGPT)

    def __post_init__(self) -> None:
        ints = ("vocab_size", "d_model", "n_layers", "n_heads", "max_len")
        problems = [f"{n}={getattr(self, n)!r} must be a positive integer" for n in ints if not _pos_int(getattr(self, n))]
        if self.d_ff is not None and not _pos_int(self.d_ff):
            problems.append(f"d_ff={self.d_ff!r} must be a positive integer or None (4 * d_model)")
        if _pos_int(self.d_model) and _pos_int(self.n_heads):
            if self.d_model % self.n_heads:
                problems.append(f"n_heads={self.n_heads} does not divide d_model={self.d_model}")
            elif self.positional == "rope" and self.head_size % 2:
                problems.append(f"positional='rope' needs an even head size d_model/n_heads, got {self.head_size}")
        if self.positional == "sinusoidal" and _pos_int(self.d_model) and self.d_model % 2:
            problems.append(f"positional='sinusoidal' needs an even d_model, got d_model={self.d_model}")
        if self.positional not in POSITIONALS:
            problems.append(f"positional={self.positional!r} is not one of {', '.join(POSITIONALS)}")
        if not (isinstance(self.dropout, (int, float)) and 0.0 <= self.dropout < 1.0):
            problems.append(f"dropout={self.dropout!r} must be in [0, 1)")
        if not (isinstance(self.norm_eps, (int, float)) and self.norm_eps > 0):
            problems.append(f"norm_eps={self.norm_eps!r} must be > 0")
        problems += [f"{n}={getattr(self, n)!r} must be true or false" for n in ("causal", "cross_attention", "bias")
                     if not isinstance(getattr(self, n), bool)]
        if problems:
            raise ConfigError(problems)

    @property
    def head_size(self) -> int:
        return self.d_model // self.n_heads

    @property
    def ff_size(self) -> int:
        return self.d_ff or 4 * self.d_model


def _pos_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


# --------------------------------------------------------------------------------------------
# Positional encodings: all take positions (T,) or (B, T); nothing is precomputed up to max_len
# --------------------------------------------------------------------------------------------


class LearnedPositions(nn.Module):
    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.table = nn.Embedding(config.max_len, config.d_model)

    def forward(self, positions: torch.Tensor) -> torch.Tensor:
        return self.table(positions)  # (T, C) or (B, T, C)


def _angles(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """position * 10000^(-2i/dim) for i < dim/2, in float32 -> (..., dim/2)."""
    inv_freq = 10000.0 ** (-torch.arange(0, dim, 2, device=positions.device, dtype=torch.float32) / dim)
    return positions.float()[..., None] * inv_freq


class SinusoidalPositions(nn.Module):
    """Vaswani et al. 2017, section 3.5 (sin and cos halves concatenated rather than interleaved)."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.dim = config.d_model

    def forward(self, positions: torch.Tensor) -> torch.Tensor:
        angles = _angles(positions, self.dim)
        return torch.cat([angles.sin(), angles.cos()], dim=-1)  # (..., C)


class RotaryPositions(nn.Module):
    """RoFormer (Su et al. 2021) in the "rotate half" form: returns (cos, sin) to rotate q and k with."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.dim = config.head_size

    def forward(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        angles = _angles(positions, self.dim)
        angles = torch.cat([angles, angles], dim=-1).unsqueeze(-3)  # (1, T, D) or (B, 1, T, D)
        return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    rotated = torch.cat([-x2, x1], dim=-1)
    return (x * cos + rotated * sin).to(x.dtype)


# --------------------------------------------------------------------------------------------
# Attention, MLP, Block; cross-attention and DecoderBlock
# --------------------------------------------------------------------------------------------


class SelfAttention(nn.Module):
    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.n_heads, self.causal, self.dropout = config.n_heads, config.causal, config.dropout
        self.qkv = nn.Linear(config.d_model, 3 * config.d_model, bias=config.bias)
        self.proj = nn.Linear(config.d_model, config.d_model, bias=config.bias)  # residual projection
        self.resid_drop = nn.Dropout(config.dropout)

    def forward(
        self,
        x: torch.Tensor,  # (B, T, C)
        mask: torch.Tensor | None,  # (B, 1, T, S) True = may attend; None: causal or full by self.causal
        rope: tuple[torch.Tensor, torch.Tensor] | None,
        kv: tuple[torch.Tensor, torch.Tensor, int] | None = None,  # cache buffers (B, H, L, D) and start slot
    ) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2)  # (B, H, T, D)
        k = k.view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2)  # (B, H, T, D)
        v = v.view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2)  # (B, H, T, D)
        if rope is not None:
            q, k = apply_rope(q, *rope), apply_rope(k, *rope)
        if kv is not None:
            k_cache, v_cache, start = kv
            k_cache[:, :, start : start + T] = k
            v_cache[:, :, start : start + T] = v
            k, v = k_cache[:, :, : start + T], v_cache[:, :, : start + T]  # (B, H, S, D)
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0,
            is_causal=self.causal and mask is None,
        )  # (B, H, T, D)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # (B, T, C)
        return self.resid_drop(self.proj(y))


class MLP(nn.Module):
    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.fc = nn.Linear(config.d_model, config.ff_size, bias=config.bias)
        self.proj = nn.Linear(config.ff_size, config.d_model, bias=config.bias)  # residual projection
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    """Pre-norm: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.norm1 = nn.LayerNorm(config.d_model, eps=config.norm_eps, bias=config.bias)
        self.attn = SelfAttention(config)
        self.norm2 = nn.LayerNorm(config.d_model, eps=config.norm_eps, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x, mask, rope, kv=None):
        x = x + self.attn(self.norm1(x), mask, rope, kv)
        return x + self.mlp(self.norm2(x))


class CrossAttention(nn.Module):
    """Queries from the decoder; keys/values from the memory, projected once by `memory_kv`."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.n_heads, self.dropout = config.n_heads, config.dropout
        self.q = nn.Linear(config.d_model, config.d_model, bias=config.bias)
        self.kv = nn.Linear(config.d_model, 2 * config.d_model, bias=config.bias)
        self.proj = nn.Linear(config.d_model, config.d_model, bias=config.bias)  # residual projection
        self.resid_drop = nn.Dropout(config.dropout)

    def memory_kv(self, memory: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        B, S, C = memory.shape
        k, v = self.kv(memory).split(C, dim=2)
        k = k.view(B, S, self.n_heads, C // self.n_heads).transpose(1, 2)  # (B, H, S, D)
        v = v.view(B, S, self.n_heads, C // self.n_heads).transpose(1, 2)  # (B, H, S, D)
        return k, v

    def forward(
        self,
        x: torch.Tensor,  # (B, T, C)
        k: torch.Tensor,  # (B, H, S, D) from memory_kv
        v: torch.Tensor,  # (B, H, S, D)
        mask: torch.Tensor | None,  # (B, 1, 1, S) True = real memory position; None: nothing padded
    ) -> torch.Tensor:
        B, T, C = x.shape
        q = self.q(x).view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2)  # (B, H, T, D)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # (B, T, C)
        return self.resid_drop(self.proj(y))


class DecoderBlock(Block):
    """Block with cross-attention between its sublayers: x + attn(norm(x)), x + cross(norm(x), memory),
    then x + mlp(norm(x)). `memory` is this layer's (k, v, mask) from `CrossAttention.memory_kv`."""

    def __init__(self, config: TransformerConfig):
        super().__init__(config)
        self.cross_norm = nn.LayerNorm(config.d_model, eps=config.norm_eps, bias=config.bias)
        self.cross_attn = CrossAttention(config)

    def forward(self, x, mask, rope, kv=None, memory=None):
        x = x + self.attn(self.norm1(x), mask, rope, kv)
        x = x + self.cross_attn(self.cross_norm(x), *memory)
        return x + self.mlp(self.norm2(x))


# --------------------------------------------------------------------------------------------
# The KV cache and the Transformer
# --------------------------------------------------------------------------------------------


@dataclass
class Memory:
    """An encoder's output as the cross-attention layers read it, projected once per layer."""

    k: list[torch.Tensor]  # per layer (B, H, S, D)
    v: list[torch.Tensor]  # per layer (B, H, S, D)
    mask: torch.Tensor | None  # (B, 1, 1, S) True = real memory position; None: nothing padded

    def layer(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        return self.k[i], self.v[i], self.mask


@dataclass
class KVCache:
    """What a decoder has seen: preallocated keys/values per layer, updated in place by `step`."""

    k: list[torch.Tensor]  # per layer (B, H, L, D), L = capacity
    v: list[torch.Tensor]  # per layer (B, H, L, D)
    key_mask: torch.Tensor  # (B, L) True where a slot holds a real token
    seen: torch.Tensor  # (B,) real tokens so far per row = position of the row's next token
    length: int = 0  # slots filled (padding included)
    memory: Memory | None = None  # cross-attention keys/values (decoders with cross_attention only)

    @property
    def capacity(self) -> int:
        return self.key_mask.shape[1]


def memory_attention_mask(memory_mask: torch.Tensor | None) -> torch.Tensor | None:
    """(B, S) real memory positions -> (B, 1, 1, S) SDPA mask (a row with none attends to all: `some_real`)."""
    if memory_mask is None:
        return None
    return some_real(memory_mask)[:, None, None, :]


def build_attention_mask(key_mask: torch.Tensor, start: int, n_queries: int, causal: bool) -> torch.Tensor:
    """(B, S) real keys -> (B, 1, T, S) boolean SDPA mask for queries at slots start..start+T-1.

    Every query may attend to itself, so a padded query row is never empty (no NaN from softmax);
    real queries never see padded keys, so padding cannot leak into real positions.
    """
    q = torch.arange(start, start + n_queries, device=key_mask.device)[:, None]  # (T, 1)
    k = torch.arange(key_mask.shape[1], device=key_mask.device)[None, :]  # (1, S)
    allowed = key_mask[:, None, None, :]  # (B, 1, 1, S)
    if causal:
        allowed = allowed & (k <= q)
    return allowed | (k == q)


class Transformer(nn.Module):
    config_class = TransformerConfig
    modes = ("causal", "bidirectional", "decoder")

    @classmethod
    def default_options(cls, mode: str, max_length: int) -> dict[str, object]:
        return {"max_len": max(1024, max_length + 1)}

    @staticmethod
    def adapt_config(config: TransformerConfig, mode: str) -> TransformerConfig:
        """Encoder and decoder differ only in the attention mask: the same weights serve either.

        Mode "decoder" adds cross-attention sublayers (new weights: load the others non-strictly);
        the other modes drop them.
        """
        return replace(config, causal=mode != "bidirectional", cross_attention=mode == "decoder")

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.config, self.d_model, self.causal = config, config.d_model, config.causal
        self.token_embedding = nn.Embedding(config.vocab_size, config.d_model, padding_idx=PAD_ID)
        position = {"learned": LearnedPositions, "sinusoidal": SinusoidalPositions}.get(config.positional)
        self.position = position(config) if position else None
        self.rotary = RotaryPositions(config) if config.positional == "rope" else None
        self.drop = nn.Dropout(config.dropout)
        block = DecoderBlock if config.cross_attention else Block
        self.blocks = nn.ModuleList(block(config) for _ in range(config.n_layers))
        self.norm = nn.LayerNorm(config.d_model, eps=config.norm_eps, bias=config.bias)
        self.apply(self._init_weights)
        residuals = (3 if config.cross_attention else 2) * config.n_layers
        for name, p in self.named_parameters():  # GPT-2: scale residual projections by depth
            if name.endswith(".proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(residuals))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.padding_idx is not None:
                module.weight.data[module.padding_idx].zero_()

    def num_parameters(self, trainable_only: bool = False) -> int:
        return count_parameters(self, trainable_only)

    def embedding_parameters(self) -> list[nn.Parameter]:
        return [*self.token_embedding.parameters(), *(self.position.parameters() if self.position else [])]

    def flops_per_token(self, seq_len: int) -> float:
        """Training FLOPs (forward + backward) per token, as nanoGPT's `estimate_mfu` (PaLM, appendix B):
        6N for the weights (N without the position table: a lookup costs no multiply) + 12 * L * C * T
        for attention's scores and weighted sum. Cross-attention over the memory is not counted."""
        n = self.num_parameters() - (sum(p.numel() for p in self.position.parameters()) if self.position else 0)
        return 6.0 * n + 12.0 * self.config.n_layers * self.config.d_model * seq_len

    def layer_parameters(self) -> list[list[nn.Parameter]]:
        return [list(block.parameters()) for block in self.blocks]

    def forward(
        self,
        ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        memory: torch.Tensor | None = None,
        memory_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """ids (B, T), attention_mask (B, T) True = real token -> hidden (B, T, C).

        Pass attention_mask=None when nothing is padded (e.g. packed LM blocks): a decoder then runs
        SDPA with is_causal=True, which selects the fused (flash) kernels on GPU. A decoder built with
        cross_attention needs `memory` (B, S, C), the encoder's output, and its `memory_mask` (B, S).
        """
        T = ids.shape[1]
        if T > self.config.max_len:
            raise ConfigError(
                f"sequence of {T} tokens is longer than the model's max_len={self.config.max_len}: "
                f"shorten the input (--data.max_length) or build the model with a larger max_len"
            )
        if attention_mask is None:
            positions, mask = torch.arange(T, device=ids.device), None
        else:
            positions = (attention_mask.long().cumsum(1) - 1).clamp(min=0)  # (B, T) counts real tokens only
            mask = build_attention_mask(attention_mask.bool(), 0, T, self.causal)
        return self._run(ids, positions, mask, memory=self._memory(memory, memory_mask, ids.shape[0]))

    def _run(self, ids, positions, mask, cache: KVCache | None = None, start: int = 0,
             memory: Memory | None = None) -> torch.Tensor:
        x = self.token_embedding(ids)  # (B, T, C)
        if self.position is not None:
            x = x + self.position(positions).to(x.dtype)
        rope = self.rotary(positions) if self.rotary is not None else None
        x = self.drop(x)
        for i, block in enumerate(self.blocks):
            kv = None if cache is None else (cache.k[i], cache.v[i], start)
            x = block(x, mask, rope, kv) if memory is None else block(x, mask, rope, kv, memory.layer(i))
        return self.norm(x)

    def _memory(self, memory: torch.Tensor | None, memory_mask: torch.Tensor | None, batch: int) -> Memory | None:
        """Check `memory` against the config, then project it to every layer's cross-attention keys/values."""
        if not check_memory("Transformer", memory, memory_mask, batch, self.d_model, self.config.cross_attention):
            return None
        kvs = [block.cross_attn.memory_kv(memory) for block in self.blocks]
        return Memory(k=[k for k, _ in kvs], v=[v for _, v in kvs], mask=memory_attention_mask(memory_mask))

    def init_state(
        self, batch_size: int, device=None, dtype: torch.dtype | None = None, max_len: int | None = None,
        memory: torch.Tensor | None = None, memory_mask: torch.Tensor | None = None,
    ) -> KVCache:
        """An empty KV cache for `batch_size` rows, holding up to `max_len` tokens (default config.max_len).

        A decoder with cross_attention projects `memory` (B, S, C) to each layer's keys/values here,
        once; they stay in the state (`KVCache.memory`) for every `step`.
        """
        require_causal(self)
        capacity = max_len or self.config.max_len
        if capacity > self.config.max_len:
            raise ConfigError(f"init_state(max_len={capacity}) exceeds the model's max_len={self.config.max_len}")
        weight = self.token_embedding.weight
        device, dtype = device or weight.device, dtype or weight.dtype
        shape = (batch_size, self.config.n_heads, capacity, self.config.head_size)
        cross = self._memory(memory, memory_mask, batch_size)
        if cross is not None:
            cross = Memory([k.to(device, dtype) for k in cross.k], [v.to(device, dtype) for v in cross.v],
                           None if cross.mask is None else cross.mask.to(device))
        return KVCache(
            k=[torch.empty(shape, device=device, dtype=dtype) for _ in self.blocks],
            v=[torch.empty(shape, device=device, dtype=dtype) for _ in self.blocks],
            key_mask=torch.zeros(batch_size, capacity, dtype=torch.bool, device=device),
            seen=torch.zeros(batch_size, dtype=torch.long, device=device),
            memory=cross,
        )

    def step(
        self, ids: torch.Tensor, state: KVCache, attention_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, KVCache]:
        """Feed ids (B, T_new) after the tokens in `state` -> (hidden (B, T_new, C), state updated in place).

        A prompt may be padded on either side (attention_mask True = real token); later tokens are
        placed after each row's real tokens, so the result matches `forward` on each row alone.
        """
        require_causal(self)
        B, T = ids.shape
        start = state.length
        if start + T > state.capacity:
            raise ConfigError(
                f"decoding past the KV cache: {start} + {T} tokens > {state.capacity} "
                f"(the model's max_len is {self.config.max_len}); generate fewer tokens"
            )
        real = torch.ones_like(ids, dtype=torch.bool) if attention_mask is None else attention_mask.bool()
        positions = state.seen[:, None] + (real.long().cumsum(1) - 1).clamp(min=0)  # (B, T)
        state.key_mask[:, start : start + T] = real
        mask = build_attention_mask(state.key_mask[:, : start + T], start, T, causal=True)  # (B, 1, T, S)
        hidden = self._run(ids, positions, mask, cache=state, start=start, memory=state.memory)
        state.seen += real.sum(1)
        state.length = start + T
        return hidden, state

    @staticmethod
    def reorder_state(state: KVCache, index: torch.Tensor) -> KVCache:
        """A new state whose row i is row index[i] of `state` (index: LongTensor (B_new,), rows may repeat:
        beam search keeps, drops and duplicates hypotheses). `state` itself is left as it was."""
        def rows(t: torch.Tensor) -> torch.Tensor:
            return t.index_select(0, index)

        memory = state.memory
        if memory is not None:
            memory = Memory([rows(k) for k in memory.k], [rows(v) for v in memory.v],
                            None if memory.mask is None else rows(memory.mask))
        return KVCache(k=[rows(k) for k in state.k], v=[rows(v) for v in state.v], key_mask=rows(state.key_mask),
                       seen=rows(state.seen), length=state.length, memory=memory)
