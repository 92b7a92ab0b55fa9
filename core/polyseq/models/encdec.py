"""An encoder-decoder (sequence-to-sequence) model from two built backbones.

    encoder   a backbone built in mode "bidirectional" over the source vocabulary
    decoder   a backbone built in mode "decoder" over the target vocabulary: causal, and it attends
              to the encoder's output `memory` (B, S, d_model) with `memory_mask` (B, S) True = real
    head      logits over the target vocabulary, tied to the decoder's token embedding

Teacher forcing: the decoder reads [<bos>] + target and is trained to predict target + [<eos>]
(`teacher_forcing` builds both). Decoding (greedy, sampling, beam search) is `models/decoding.py`.

References: Sutskever et al. 2014 and Bahdanau et al. 2015 (RNN encoder-decoders with attention);
Vaswani et al. 2017 (the Transformer encoder-decoder); Press & Wolf 2017 (tied output embedding).
"""

from __future__ import annotations

import torch
from torch import nn

from polyseq.data.datasets import IGNORE
from polyseq.errors import ConfigError
from polyseq.tokenizers.base import BOS_ID, EOS_ID, PAD_ID
from polyseq.training.heads import LMHead


class EncoderDecoder(nn.Module):
    """source ids -> encoder -> memory; [<bos>] + target ids, memory -> decoder -> logits (target vocabulary)."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        problems = []
        if getattr(encoder.config, "cross_attention", False):
            problems.append(f"the encoder ({type(encoder).__name__}) was built with cross_attention=True; "
                            f"build it in mode 'bidirectional'")
        if not getattr(decoder.config, "cross_attention", False) or not decoder.causal:
            problems.append(f"the decoder ({type(decoder).__name__}) must be built in mode 'decoder' "
                            f"(causal, cross_attention=True)")
        if encoder.d_model != decoder.d_model:
            problems.append(f"the encoder's d_model={encoder.d_model} differs from the decoder's "
                            f"d_model={decoder.d_model}: the decoder attends to the encoder's output, so give both "
                            f"the same d_model")
        if problems:
            raise ConfigError(problems)
        self.encoder, self.decoder = encoder, decoder
        self.head = LMHead(decoder.token_embedding)  # tied: (B, T, C) -> (B, T, V_tgt)

    def encode(self, src_ids: torch.Tensor, src_mask: torch.Tensor | None = None) -> torch.Tensor:
        """src_ids (B, S), src_mask (B, S) True = real token (right-padded for an RNN) -> memory (B, S, C)."""
        return self.encoder(src_ids, src_mask)

    def forward(
        self, src_ids: torch.Tensor, src_mask: torch.Tensor | None, tgt_in: torch.Tensor,
        tgt_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Teacher forcing: tgt_in (B, T) = [<bos>] + target ids (`teacher_forcing`) -> logits (B, T, V_tgt)."""
        memory = self.encode(src_ids, src_mask)
        hidden = self.decoder(tgt_in, tgt_mask, memory=memory, memory_mask=src_mask)  # (B, T, C)
        return self.head(hidden)

    def num_parameters(self, trainable_only: bool = False) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)


def teacher_forcing(targets: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
    """Right-padded target ids (B, T) and their mask -> (tgt_in, tgt_mask, labels), each (B, T + 1):
    tgt_in = [<bos>] + target (padded with <pad>), labels = target + [<eos>] (padded with IGNORE)."""
    B, T = targets.shape
    mask = torch.ones_like(targets, dtype=torch.bool) if mask is None else mask.bool()
    column = torch.ones(B, 1, dtype=torch.bool, device=targets.device)
    tgt_in = torch.cat([torch.full_like(targets[:, :1], BOS_ID), targets.masked_fill(~mask, PAD_ID)], dim=1)
    tgt_mask = torch.cat([column, mask], dim=1)  # (B, T + 1)
    labels = torch.cat([targets, targets[:, :1]], dim=1).masked_fill(~torch.cat([mask, ~column], dim=1), IGNORE)
    labels.scatter_(1, mask.long().sum(1, keepdim=True), EOS_ID)  # <eos> right after each row's last token
    return tgt_in, tgt_mask, labels


def check_memory(owner: str, memory: torch.Tensor | None, memory_mask: torch.Tensor | None, batch: int,
                 d_model: int, cross_attention: bool) -> bool:
    """Whether a backbone gets memory to attend to; a clear error when memory and the config disagree."""
    if not cross_attention:
        if memory is not None:
            raise ConfigError(f"memory was given to a {owner} built without cross_attention "
                              f"(build the decoder in mode 'decoder')")
        return False
    if memory is None:
        raise ConfigError(f"this {owner} was built with cross_attention=True (a decoder): pass memory, "
                          f"the encoder's output (B, S, d_model), and memory_mask (B, S)")
    if memory.dim() != 3 or memory.shape[0] != batch or memory.shape[2] != d_model:
        raise ConfigError(f"memory must be (batch={batch}, S, d_model={d_model}), got {tuple(memory.shape)}")
    if memory_mask is not None and tuple(memory_mask.shape) != tuple(memory.shape[:2]):
        raise ConfigError(f"memory_mask must be {tuple(memory.shape[:2])}, got {tuple(memory_mask.shape)}")
    return True


def some_real(memory_mask: torch.Tensor) -> torch.Tensor:
    """(B, S) -> (B, S): a row with no real memory position attends to all of them, so its attention
    stays finite (never NaN); such a row has nothing to translate anyway."""
    memory_mask = memory_mask.bool()
    return memory_mask | ~memory_mask.any(1, keepdim=True)
