"""Decoding an `EncoderDecoder`: greedy, sampling and beam search, batched, with the decoder's state.

The sources are encoded once (right-padded and masked); every target starts with <bos> and ends at
<eos>, and the returned ids carry neither. With `use_cache=True` the decoder advances its state
(`init_state(memory=...)` / `step`: the Transformer's KV cache with its cross-attention keys/values,
the RNN's recurrent state); with `use_cache=False` every step re-runs the decoder over the whole
prefix, the reference the cached path is tested against.

Greedy and sampling (beam_size=1) choose with `polyseq.generation.next_tokens`, so temperature 0 is
greedy and top-k, top-p and the repetition penalty (over the target so far) act as in `generate`.

Beam search (beam_size=K > 1) is deterministic, so it needs temperature 0; top-k and top-p do not
apply, the repetition penalty and min_new_tokens do. Each step extends the K live hypotheses of a
source by every token and keeps the 2K best by summed log-probability. An <eos> among the K best of
them finishes a hypothesis (the rule of fairseq and Hugging Face, which makes K=1 exactly greedy);
the K best that are not <eos> live on. Finished hypotheses are ranked by the score per token,
log p(y) / |y| ** length_penalty with |y| counting the <eos> (fairseq's normalisation: 0 ranks by
log-probability and favours short outputs, 1 by mean log-probability). A source stops searching
once it holds K finished hypotheses and its best live one, were it to end at the next step with
probability 1, would rank below all of them: exact for length_penalty=0, where scores only fall;
with length_penalty > 0 a live hypothesis could still overtake by growing, which is not waited for
(Hugging Face's early_stopping=False). Hypotheses still live after max_new_tokens compete unfinished.
"""

from __future__ import annotations

from typing import Any

import torch

from polyseq.errors import ConfigError
from polyseq.generation import SamplingConfig, adjusted_logits, next_tokens
from polyseq.models.encdec import EncoderDecoder
from polyseq.tokenizers.base import BOS_ID, EOS_ID, PAD_ID


@torch.no_grad()
def translate(
    model: EncoderDecoder, sources: list[list[int]], cfg: SamplingConfig, beam_size: int = 1,
    length_penalty: float = 1.0, use_cache: bool = True,
) -> list[list[int]]:
    """Target ids for each source (the encoder's input ids, as in training), without <bos>/<eos>.

    beam_size 1: greedy (cfg.temperature 0) or sampling; beam_size > 1: beam search (module docstring),
    with `length_penalty` the exponent of the length normalisation.
    """
    if not (isinstance(beam_size, int) and beam_size >= 1):
        raise ConfigError(f"--beam-size must be an integer >= 1, got {beam_size!r}")
    if beam_size > 1 and cfg.temperature != 0:
        raise ConfigError(f"beam search is deterministic: --beam-size={beam_size} needs --temperature 0 "
                          f"(got {cfg.temperature}); to sample, use --beam-size 1")
    if not sources:
        return []
    model.eval()
    device = next(model.parameters()).device
    src_ids, src_mask = _pad(sources, device)
    memory = model.encode(src_ids, src_mask)  # (B, S, C)
    decoder = _Decoder(model, memory, src_mask, cfg.max_new_tokens, use_cache)
    if beam_size == 1:
        return _sample(decoder, len(sources), cfg, device)
    return _beam_search(decoder, len(sources), beam_size, cfg, length_penalty, device)


class _Decoder:
    """Next-token logits for each row's prefix (<bos> + the tokens so far), cached or re-run."""

    def __init__(self, model: EncoderDecoder, memory: torch.Tensor, memory_mask: torch.Tensor,
                 max_new_tokens: int, use_cache: bool):
        self.model, self.memory, self.memory_mask, self.use_cache = model, memory, memory_mask, use_cache
        max_len = getattr(model.decoder.config, "max_len", None)
        if max_len is not None and max_new_tokens > max_len:
            raise ConfigError(f"--max-new-tokens={max_new_tokens} is more than the decoder's max_len={max_len} "
                              f"allows (it reads <bos> and all but the last new token); ask for at most {max_len}")
        if use_cache:
            self.state = model.decoder.init_state(memory.shape[0], device=memory.device, max_len=max_new_tokens,
                                                  memory=memory, memory_mask=memory_mask)

    def logits(self, prefix: torch.Tensor) -> torch.Tensor:
        """prefix (N, t) -> logits (N, V) for the token after it."""
        if self.use_cache:  # the state has seen all but the prefix's last token
            hidden, self.state = self.model.decoder.step(prefix[:, -1:], self.state)
        else:
            hidden = self.model.decoder(prefix, None, memory=self.memory, memory_mask=self.memory_mask)
        return self.model.head(hidden[:, -1:]).squeeze(1)

    def reorder(self, index: torch.Tensor) -> None:
        """Row i continues from row index[i] (beam search)."""
        if self.use_cache:
            self.state = self.model.decoder.reorder_state(self.state, index)
        else:
            self.memory, self.memory_mask = self.memory.index_select(0, index), self.memory_mask.index_select(0, index)


def _sample(decoder: _Decoder, B: int, cfg: SamplingConfig, device: Any) -> list[list[int]]:
    generator = torch.Generator().manual_seed(cfg.seed)
    prefix = torch.full((B, 1), BOS_ID, dtype=torch.long, device=device)
    done = torch.zeros(B, dtype=torch.bool, device=device)
    for step in range(cfg.max_new_tokens):
        nxt = next_tokens(decoder.logits(prefix), prefix, cfg, generator, allow_eos=step >= cfg.min_new_tokens)
        nxt = torch.where(done, torch.full_like(nxt, EOS_ID), nxt)
        prefix = torch.cat([prefix, nxt[:, None]], dim=1)  # (B, step + 2)
        done |= nxt == EOS_ID
        if bool(done.all()):
            break
    return [ids[: ids.index(EOS_ID)] if EOS_ID in ids else ids for ids in prefix[:, 1:].tolist()]


def _beam_search(decoder: _Decoder, B: int, K: int, cfg: SamplingConfig, alpha: float, device: Any) -> list[list[int]]:
    M, rows_of = cfg.max_new_tokens, torch.arange(B, device=device)[:, None] * K  # (B, 1) first row of each source
    decoder.reorder(torch.arange(B, device=device).repeat_interleave(K))  # B -> B * K rows
    prefix = torch.full((B * K, 1), BOS_ID, dtype=torch.long, device=device)
    live = torch.full((B, K), float("-inf"), device=device)
    live[:, 0] = 0.0  # summed log-probabilities; one live hypothesis to start from
    best = torch.full((B, K), float("-inf"), device=device)  # finished, normalised, best first
    best_ids = torch.full((B, K, M), EOS_ID, dtype=torch.long, device=device)
    best_len = torch.zeros(B, K, dtype=torch.long, device=device)
    done = torch.zeros(B, dtype=torch.bool, device=device)
    rank = torch.arange(2 * K, device=device)
    for step in range(M):
        logits = adjusted_logits(decoder.logits(prefix), prefix, cfg, allow_eos=step >= cfg.min_new_tokens)
        V = logits.shape[-1]
        scores = (live[:, :, None] + logits.log_softmax(-1).view(B, K, V)).view(B, K * V)
        top, flat = scores.topk(2 * K, dim=1)  # (B, 2K)
        beam, token = flat // V, flat % V
        is_eos = token == EOS_ID
        ended = torch.where(is_eos & (rank < K) & ~done[:, None], top / (step + 1) ** alpha, float("-inf"))
        ended_ids = _ids_of(prefix, beam, B, K, M)  # (B, 2K, M): the tokens before each candidate's <eos>
        best, best_ids, best_len = _keep_best(best, best_ids, best_len, ended, ended_ids, step, K)
        live, pick = torch.where(is_eos, float("-inf"), top).topk(K, dim=1)  # (B, K) the K best going on
        rows = (rows_of + beam.gather(1, pick)).view(-1)  # (B * K,) the row each continues
        prefix = torch.cat([prefix.index_select(0, rows), token.gather(1, pick).view(-1, 1)], dim=1)
        decoder.reorder(rows)
        done |= (best[:, -1] > float("-inf")) & (live[:, 0] / (step + 2) ** alpha <= best[:, -1])
        if bool(done.all()):
            break
    else:  # max_new_tokens reached: live hypotheses of the sources still searching compete unfinished
        unfinished = torch.where(done[:, None], float("-inf"), live / M ** alpha)
        best, best_ids, best_len = _keep_best(
            best, best_ids, best_len, unfinished, prefix[:, 1:].view(B, K, M), M, K)
    return [best_ids[b, 0, : best_len[b, 0]].tolist() for b in range(B)]


def _ids_of(prefix: torch.Tensor, beam: torch.Tensor, B: int, K: int, M: int) -> torch.Tensor:
    """The generated ids (without <bos>) of hypotheses `beam` (B, N) of each source -> (B, N, M), <eos>-padded."""
    ids = prefix[:, 1:].view(B, K, -1)  # (B, K, step)
    ids = ids.gather(1, beam[:, :, None].expand(-1, -1, ids.shape[2]))  # (B, N, step)
    return torch.nn.functional.pad(ids, (0, M - ids.shape[2]), value=EOS_ID)  # (B, N, M)


def _keep_best(best, best_ids, best_len, new, new_ids, length: int, K: int):
    """Merge new hypotheses (scores (B, N), ids (B, N, M), all `length` long) into the K best kept."""
    scores = torch.cat([best, new], dim=1)  # (B, K + N)
    ids = torch.cat([best_ids, new_ids], dim=1)  # (B, K + N, M)
    lengths = torch.cat([best_len, torch.full_like(new, length, dtype=torch.long)], dim=1)
    best, keep = scores.topk(K, dim=1)  # (B, K) best first
    return best, ids.gather(1, keep[:, :, None].expand(-1, -1, ids.shape[2])), lengths.gather(1, keep)


def _pad(seqs: list[list[int]], device: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ids (B, S) and mask (B, S) True = real; at least one column, even for empty sources."""
    lengths = torch.tensor([len(s) for s in seqs])
    ids = torch.full((len(seqs), max(1, int(lengths.max()))), PAD_ID, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    mask = torch.arange(ids.shape[1])[None, :] < lengths[:, None]
    return ids.to(device), mask.to(device)
