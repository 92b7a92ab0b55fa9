"""Sampling from any causal backbone: greedy, temperature, top-k, top-p, repetition penalty, batches.

The Transformer decodes with its KV cache and the RNN carries its state (`Backbone.step`); with
`use_cache=False` every step re-runs the whole sequence instead, which is the reference the cached
path is tested against. A sample starts after <eos> - the separator the LM saw between training
records - followed by the prompt's ids, and stops at the next <eos>.

`generate(..., on_step=f)` calls `f(StepChoice(...))` once per step with the model's logits, the
distribution the sampler drew from and the ids chosen: `polyseq.views.explain` builds on it.

Encoder-decoders (seq2seq) decode with `polyseq.models.decoding.translate`, which samples with the
same `SamplingConfig` and `next_tokens` and adds beam search.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from polyseq.errors import ConfigError
from polyseq.tokenizers.base import BOS_ID, CLS_ID, EOS_ID, MASK_ID, PAD_ID, SEP_ID, UNK_ID

#: never sampled: they mean nothing inside a sample
BANNED = (PAD_ID, UNK_ID, BOS_ID, MASK_ID, CLS_ID, SEP_ID)


@dataclass
class SamplingConfig:
    max_new_tokens: int = 256
    temperature: float = 1.0  # 0: greedy
    top_k: int | None = None
    top_p: float | None = None
    repetition_penalty: float = 1.0  # > 1 discourages tokens already in the sequence (Keskar et al. 2019)
    seed: int = 0
    min_new_tokens: int = 0  # <eos> is not sampled before this many new tokens

    def __post_init__(self) -> None:
        problems = []
        if self.max_new_tokens < 1:
            problems.append(f"--max-new-tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            problems.append(f"--temperature must be >= 0 (0 is greedy), got {self.temperature}")
        if self.top_k is not None and self.top_k < 1:
            problems.append(f"--top-k must be >= 1, got {self.top_k}")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            problems.append(f"--top-p must be in (0, 1], got {self.top_p}")
        if not 0 <= self.min_new_tokens <= self.max_new_tokens:
            problems.append(f"--min-new-tokens must be in [0, max_new_tokens={self.max_new_tokens}], got {self.min_new_tokens}")
        if self.repetition_penalty <= 0:
            problems.append(f"--repetition-penalty must be > 0, got {self.repetition_penalty}")
        if problems:
            raise ConfigError(problems)


def adjusted_logits(logits: torch.Tensor, history: torch.Tensor, cfg: SamplingConfig, allow_eos: bool = True) -> torch.Tensor:
    """(B, V) logits, (B, L) ids so far -> (B, V) float logits with BANNED ids (and <eos> unless
    `allow_eos`) at -inf and the repetition penalty applied: what sampling and beam search choose from."""
    logits = logits.float().clone()
    logits[:, list(BANNED) if allow_eos else [*BANNED, EOS_ID]] = float("-inf")
    if cfg.repetition_penalty != 1.0:
        seen = logits.gather(1, history)
        logits.scatter_(1, history, torch.where(seen > 0, seen / cfg.repetition_penalty, seen * cfg.repetition_penalty))
    return logits


def sampling_probs(logits: torch.Tensor, history: torch.Tensor, cfg: SamplingConfig, allow_eos: bool = True) -> torch.Tensor:
    """(B, V) logits, (B, L) ids so far -> (B, V) the distribution the next id is drawn from: after the
    banned ids, repetition penalty, temperature, top-k and top-p (greedy, temperature 0: one-hot)."""
    logits = adjusted_logits(logits, history, cfg, allow_eos)
    if cfg.temperature == 0:
        return torch.zeros_like(logits).scatter_(1, logits.argmax(-1, keepdim=True), 1.0)
    logits = logits / cfg.temperature
    if cfg.top_k is not None and cfg.top_k < logits.size(-1):
        kth = logits.topk(cfg.top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if cfg.top_p is not None and cfg.top_p < 1:
        sorted_logits, order = logits.sort(dim=-1, descending=True)
        cumulative = sorted_logits.softmax(-1).cumsum(-1)
        drop = cumulative - sorted_logits.softmax(-1) >= cfg.top_p  # keep the smallest set reaching top_p
        logits = logits.masked_fill(drop.scatter(1, order, drop), float("-inf"))
    return logits.softmax(-1)


def draw(probs: torch.Tensor, cfg: SamplingConfig, generator: torch.Generator) -> torch.Tensor:
    """(B, V) `sampling_probs` -> (B,) ids: the argmax when greedy, else one draw per row."""
    if cfg.temperature == 0:
        return probs.argmax(-1)
    return torch.multinomial(probs.cpu(), 1, generator=generator).squeeze(1).to(probs.device)


def next_tokens(
    logits: torch.Tensor, history: torch.Tensor, cfg: SamplingConfig, generator: torch.Generator, allow_eos: bool = True
) -> torch.Tensor:
    """(B, V) logits, (B, L) ids so far -> (B,) next ids."""
    if cfg.temperature == 0:  # the argmax, without building the one-hot distribution
        return adjusted_logits(logits, history, cfg, allow_eos).argmax(-1)
    return draw(sampling_probs(logits, history, cfg, allow_eos), cfg, generator)


@dataclass(frozen=True)
class StepChoice:
    """What `generate` saw and chose at one step, for every row of the batch."""

    step: int  # 0: the first new token
    logits: torch.Tensor  # (B, V) the model's raw logits
    probs: torch.Tensor  # (B, V) the distribution the sampler drew from (`sampling_probs`)
    chosen: torch.Tensor  # (B,) the ids emitted
    active: torch.Tensor  # (B,) bool: rows still generating (a finished row only repeats <eos>)


def _padded(seqs: list[list[int]], device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(s) for s in seqs], device=device)
    ids = torch.full((len(seqs), int(lengths.max())), PAD_ID, dtype=torch.long, device=device)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    mask = torch.arange(ids.size(1), device=device)[None, :] < lengths[:, None]
    return ids, mask, lengths


def _init_state(backbone: Any, batch: int, device: torch.device, max_len: int) -> Any:
    params = inspect.signature(backbone.init_state).parameters
    if "max_len" in params:  # a cache only as long as this generation needs
        return backbone.init_state(batch, device=device, max_len=max_len)
    return backbone.init_state(batch, device=device)


@torch.no_grad()
def generate(model: Any, prompts: list[list[int]], cfg: SamplingConfig, use_cache: bool = True,
             on_step: Callable[[StepChoice], None] | None = None) -> list[list[int]]:
    """New ids for each prompt (prompt ids not repeated; <eos> not included).

    `model` is a causal-LM `SequenceModel` (any module with `.backbone` and an LM `.head`);
    `on_step`, if given, is called after every step with what was seen and chosen.
    """
    backbone, head = model.backbone, model.head
    if not getattr(backbone, "causal", False):
        raise ConfigError("generation needs a causal LM checkpoint (trained with --data.task lm)")
    model.eval()
    device = next(model.parameters()).device
    seqs = [[EOS_ID, *p] for p in prompts]
    generator = torch.Generator().manual_seed(cfg.seed)
    ids, mask, lengths = _padded(seqs, device)
    rows = torch.arange(len(seqs), device=device)
    if use_cache:
        state = _init_state(backbone, len(seqs), device, ids.size(1) + cfg.max_new_tokens)
        hidden, state = backbone.step(ids, state, attention_mask=None if bool(mask.all()) else mask)
        last = hidden[rows, lengths - 1]
    else:
        last = backbone(ids, None if bool(mask.all()) else mask)[rows, lengths - 1]
    new = torch.full((len(seqs), cfg.max_new_tokens), EOS_ID, dtype=torch.long, device=device)
    done = torch.zeros(len(seqs), dtype=torch.bool, device=device)
    prompt_ids = ids
    steps = 0
    for step in range(cfg.max_new_tokens):
        # only the repetition penalty needs the history (padding ids are banned anyway)
        history = torch.cat([prompt_ids, new[:, :step]], 1) if cfg.repetition_penalty != 1.0 else prompt_ids[:, :1]
        logits = head(last[:, None, :]).squeeze(1)
        if on_step is None:
            nxt = next_tokens(logits, history, cfg, generator, step >= cfg.min_new_tokens)
        else:  # the same choice, the distribution kept to show
            probs = sampling_probs(logits, history, cfg, step >= cfg.min_new_tokens)
            nxt = draw(probs, cfg, generator)
        nxt = torch.where(done, torch.full_like(nxt, EOS_ID), nxt)
        if on_step is not None:
            on_step(StepChoice(step, logits, probs, nxt, ~done))
        new[:, step] = nxt
        done |= nxt == EOS_ID
        steps = step + 1
        if bool(done.all()) or steps == cfg.max_new_tokens:
            break
        if use_cache:
            hidden, state = backbone.step(nxt[:, None], state)
            last = hidden[:, 0]
        else:
            rows_so_far = [s + _until_eos(r) for s, r in zip(seqs, new[:, :steps].tolist(), strict=True)]
            ids, mask, lengths = _padded(rows_so_far, device)
            last = backbone(ids, None if bool(mask.all()) else mask)[rows, lengths - 1]
    return [_until_eos(r) for r in new[:, :steps].tolist()]


def _until_eos(ids: list[int]) -> list[int]:
    return ids[: ids.index(EOS_ID)] if EOS_ID in ids else ids
