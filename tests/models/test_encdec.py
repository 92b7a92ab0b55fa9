"""Encoder-decoders: cross-attention parity, decoder state (cached = uncached, reorder_state), padding,
greedy / beam / sampling decoding, construction errors, old checkpoints, and learning to reverse."""

import math
import time
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from polyseq import ConfigError
from polyseq.data.datasets import IGNORE
from polyseq.generation import SamplingConfig, adjusted_logits
from polyseq.models import RNN, Transformer, TransformerConfig
from polyseq.models import decoding
from polyseq.models.backbone import build_backbone
from polyseq.models.decoding import translate
from polyseq.models.encdec import EncoderDecoder, teacher_forcing
from polyseq.models.rnn import RNNConfig
from polyseq.tokenizers.base import BOS_ID, EOS_ID, N_SPECIAL

SRC_VOCAB, TGT_VOCAB = N_SPECIAL + 8, N_SPECIAL + 6
KINDS = ["transformer", "transformer-rope", "lstm", "gru"]
BACKBONES = ["transformer", "lstm"]


def make(kind: str, seed: int = 0, d_model: int = 16, scrambled: bool = False, **overrides) -> EncoderDecoder:
    """A tiny encoder-decoder. `scrambled`: every weight redrawn from N(0, 0.3^2), a random function whose
    next-token distributions are far from the near-uniform ones of a fresh init (a fresh tied model mostly
    repeats one token, where greedy and beam search agree), so that searches differ and <eos> comes early."""
    torch.manual_seed(seed)
    if kind.startswith("transformer"):
        options = dict(d_model=d_model, n_layers=2, n_heads=2, dropout=0.0, max_len=32,
                       positional="rope" if kind.endswith("rope") else "learned") | overrides
        encoder = Transformer(TransformerConfig(vocab_size=SRC_VOCAB, **options))
        decoder = Transformer(TransformerConfig(vocab_size=TGT_VOCAB, causal=True, cross_attention=True, **options))
    else:
        options = dict(d_model=d_model, n_layers=2, dropout=0.0, cell=kind) | overrides
        encoder = RNN(RNNConfig(vocab_size=SRC_VOCAB, bidirectional=True, causal=False, **options))
        decoder = RNN(RNNConfig(vocab_size=TGT_VOCAB, cross_attention=True, **options))
    model = EncoderDecoder(encoder, decoder).eval()
    if scrambled:
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(0.3 * torch.randn(p.shape, generator=g))
    return model


def random_seqs(n: int, vocab: int, lo: int = 1, hi: int = 7, seed: int = 1) -> list[list[int]]:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(lo, hi + 1, (n,), generator=g).tolist()
    return [torch.randint(N_SPECIAL, vocab, (k,), generator=g).tolist() for k in lengths]


def right_padded(seqs: list[list[int]], width: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    width = width or max(len(s) for s in seqs)
    ids, mask = torch.zeros(len(seqs), width, dtype=torch.long), torch.zeros(len(seqs), width, dtype=torch.bool)
    for i, s in enumerate(seqs):
        ids[i, : len(s)], mask[i, : len(s)] = torch.tensor(s), True
    return ids, mask


def naive_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, **_):
    """softmax(Q K^T / sqrt(d)) V, with a boolean mask (True = may attend) and/or a causal mask."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (B, H, T, S)
    T, S = scores.shape[-2:]
    if is_causal:
        scores = scores.masked_fill(~torch.ones(T, S, dtype=torch.bool).tril(), float("-inf"))
    if attn_mask is not None:
        scores = scores.masked_fill(~attn_mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def log_prob(model: EncoderDecoder, source: list[int], target: list[int], cfg: SamplingConfig) -> float:
    """log p(target [+ <eos> when it ended before max_new_tokens] | source), over the ids decoding may choose."""
    src, src_mask = right_padded([source])
    tgt_in = torch.tensor([[BOS_ID, *target]])[:, : cfg.max_new_tokens]
    labels = torch.tensor([*target, EOS_ID][: tgt_in.shape[1]])
    with torch.no_grad():
        logits = model(src, src_mask, tgt_in)[0]  # (T, V)
    allowed = [adjusted_logits(logits[t : t + 1], tgt_in[:, : t + 1], cfg, t >= cfg.min_new_tokens)
               for t in range(len(labels))]
    logp = torch.cat(allowed).log_softmax(-1)
    return float(logp[torch.arange(len(labels)), labels].sum())


# ------------------------------------------------------------------------------------------------
# Cross-attention parity (Transformer) and memory padding
# ------------------------------------------------------------------------------------------------


def test_cross_attention_matches_a_naive_implementation():
    block = make("transformer").decoder.blocks[0].cross_attn
    x, memory = torch.randn(2, 5, 16), torch.randn(2, 7, 16)
    mask = torch.ones(2, 7, dtype=torch.bool)
    mask[1, 3:] = False
    k, v = block.memory_kv(memory)
    out = block(x, k, v, mask[:, None, None, :])
    C, H = 16, 2
    expected = torch.zeros(2, 5, C)
    for b in range(2):
        for h in range(H):  # one head, one row at a time, from the weights
            cols = slice(h * C // H, (h + 1) * C // H)
            q = (x[b] @ block.q.weight.T + block.q.bias)[:, cols]  # (T, D)
            kv = memory[b, mask[b]] @ block.kv.weight.T + block.kv.bias  # (S_real, 2C)
            weights = torch.softmax(q @ kv[:, :C][:, cols].T / math.sqrt(C // H), dim=-1)  # (T, S_real)
            expected[b, :, cols] = weights @ kv[:, C:][:, cols]
    expected = expected @ block.proj.weight.T + block.proj.bias
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)


def test_decoder_with_sdpa_matches_naive_attention(monkeypatch):
    model = make("transformer-rope")
    src, src_mask = right_padded(random_seqs(3, SRC_VOCAB))
    tgt, tgt_mask = right_padded(random_seqs(3, TGT_VOCAB, seed=2))
    sdpa = model(src, src_mask, tgt, tgt_mask)
    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", naive_attention)
    naive = model(src, src_mask, tgt, tgt_mask)
    torch.testing.assert_close(sdpa[tgt_mask], naive[tgt_mask], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", KINDS, ids=KINDS)
def test_padded_memory_positions_are_never_attended_to(kind):
    decoder = make(kind).decoder
    memory, mask = torch.randn(2, 6, 16), torch.ones(2, 6, dtype=torch.bool)
    mask[0, 2:] = False
    other = memory.clone()
    other[0, 2:] = torch.randn(4, 16)
    tgt = torch.tensor(random_seqs(2, TGT_VOCAB, lo=5, hi=5))
    torch.testing.assert_close(decoder(tgt, None, memory, mask), decoder(tgt, None, other, mask))


@pytest.mark.parametrize("kind", KINDS, ids=KINDS)
def test_source_padding_does_not_change_logits(kind):
    model, sources = make(kind), random_seqs(3, SRC_VOCAB, lo=2, hi=6)
    tgt = torch.tensor(random_seqs(3, TGT_VOCAB, lo=4, hi=4, seed=3))
    batch = model(*right_padded(sources, width=9), tgt)
    for i, s in enumerate(sources):
        torch.testing.assert_close(batch[i], model(*right_padded([s]), tgt[i : i + 1])[0], atol=1e-5, rtol=1e-5)


# ------------------------------------------------------------------------------------------------
# Decoder state: step = forward, reorder_state
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=KINDS)
def test_decoder_step_matches_forward(kind):
    model = make(kind)
    src, src_mask = right_padded(random_seqs(2, SRC_VOCAB, lo=3, hi=6))
    memory, tgt = model.encode(src, src_mask), torch.tensor(random_seqs(2, TGT_VOCAB, lo=8, hi=8))
    state = model.decoder.init_state(2, max_len=8, memory=memory, memory_mask=src_mask)
    hidden, state = model.decoder.step(tgt[:, :3], state)  # a prefix in one call, then one at a time
    pieces = [hidden]
    for t in range(3, 8):
        hidden, state = model.decoder.step(tgt[:, t : t + 1], state)
        pieces.append(hidden)
    full = model.decoder(tgt, None, memory=memory, memory_mask=src_mask)
    torch.testing.assert_close(torch.cat(pieces, dim=1), full, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", KINDS, ids=KINDS)
def test_reorder_state_continues_the_chosen_rows(kind):
    model = make(kind)
    src, src_mask = right_padded(random_seqs(3, SRC_VOCAB, lo=3, hi=6))
    memory, tgt = model.encode(src, src_mask), torch.tensor(random_seqs(3, TGT_VOCAB, lo=6, hi=6))
    state = model.decoder.init_state(3, max_len=8, memory=memory, memory_mask=src_mask)
    _, state = model.decoder.step(tgt[:, :4], state)
    index = torch.tensor([2, 0, 0, 1])  # drop none, duplicate row 0, reorder
    state = model.decoder.reorder_state(state, index)
    after, _ = model.decoder.step(tgt[index, 4:], state)
    full = model.decoder(tgt[index], None, memory=memory[index], memory_mask=src_mask[index])
    torch.testing.assert_close(after, full[:, 4:], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru"], ids=["lstm", "gru"])
def test_reorder_state_of_a_plain_rnn(cell):
    rnn = RNN(RNNConfig(vocab_size=TGT_VOCAB, d_model=8, cell=cell, dropout=0.0)).eval()
    ids = torch.tensor(random_seqs(3, TGT_VOCAB, lo=5, hi=5))
    _, state = rnn.step(ids[:, :3], rnn.init_state(3))
    after, _ = rnn.step(ids[[1, 1], 3:], rnn.reorder_state(state, torch.tensor([1, 1])))
    torch.testing.assert_close(after, rnn(ids[[1, 1]])[:, 3:], atol=1e-5, rtol=1e-5)


# ------------------------------------------------------------------------------------------------
# Decoding
# ------------------------------------------------------------------------------------------------

GREEDY = SamplingConfig(max_new_tokens=12, temperature=0)


@pytest.mark.parametrize("kind", KINDS, ids=KINDS)
@pytest.mark.parametrize("beam_size", [1, 3], ids=["greedy", "beam3"])
def test_cached_decoding_equals_uncached(kind, beam_size):
    model, sources = make(kind, scrambled=True), random_seqs(4, SRC_VOCAB)
    cached = translate(model, sources, GREEDY, beam_size=beam_size)
    assert cached == translate(model, sources, GREEDY, beam_size=beam_size, use_cache=False)
    assert all(BOS_ID not in t and EOS_ID not in t and len(t) <= 12 for t in cached)


@pytest.mark.parametrize("kind", ["transformer", "gru"], ids=["transformer", "gru"])
def test_cached_sampling_equals_uncached(kind):
    model, sources = make(kind, scrambled=True), random_seqs(4, SRC_VOCAB)
    cfg = SamplingConfig(max_new_tokens=10, temperature=0.8, top_k=4, repetition_penalty=1.3, seed=5)
    assert translate(model, sources, cfg) == translate(model, sources, cfg, use_cache=False)


@pytest.mark.parametrize("kind", KINDS, ids=KINDS)
@pytest.mark.parametrize("beam_size", [1, 3], ids=["greedy", "beam3"])
def test_source_padding_does_not_change_the_translation(kind, beam_size):
    model, sources = make(kind, scrambled=True), random_seqs(5, SRC_VOCAB, lo=1, hi=9)
    batch = translate(model, sources, GREEDY, beam_size=beam_size)
    assert batch == [translate(model, [s], GREEDY, beam_size=beam_size)[0] for s in sources]


@pytest.mark.parametrize("kind", KINDS, ids=KINDS)
def test_beam_of_one_is_greedy(kind):
    model, sources = make(kind, scrambled=True), random_seqs(6, SRC_VOCAB)
    greedy = translate(model, sources, GREEDY)
    assert translate(model, sources, GREEDY, beam_size=1) == greedy
    # the beam search itself with one beam and no length normalisation is greedy too
    memory_mask = decoding._pad(sources, "cpu")[1]
    decoder = decoding._Decoder(model, model.encode(*decoding._pad(sources, "cpu")), memory_mask, 12, True)
    assert decoding._beam_search(decoder, len(sources), 1, GREEDY, 0.0, "cpu") == greedy


@pytest.mark.parametrize("kind", KINDS, ids=KINDS)
def test_beam_search_finds_at_least_greedys_log_probability(kind):
    # A width-k beam can drop greedy's prefix when k others outscore it, so "never below greedy" is
    # not a theorem: it may lose a little, rarely, and must win more often and on average.
    cfg = SamplingConfig(max_new_tokens=10, temperature=0)
    gains = []
    for seed in range(3):
        model, sources = make(kind, seed=seed, scrambled=True), random_seqs(8, SRC_VOCAB, seed=seed)
        greedy = translate(model, sources, cfg)
        beam = translate(model, sources, cfg, beam_size=4, length_penalty=0.0)
        for s, g, b in zip(sources, greedy, beam, strict=True):
            gains.append(log_prob(model, s, b, cfg) - log_prob(model, s, g, cfg))
    worse = [g for g in gains if g < -1e-4]
    assert len(worse) <= len(gains) // 10 and all(g > -0.05 for g in worse), gains
    assert sum(g > 1e-4 for g in gains) > len(worse) and sum(gains) > 0  # the search finds what greedy misses


def test_beam_search_with_a_length_penalty_and_min_new_tokens():
    model, sources = make("transformer", scrambled=True), random_seqs(4, SRC_VOCAB)
    cfg = SamplingConfig(max_new_tokens=12, temperature=0, min_new_tokens=3)
    out = translate(model, sources, cfg, beam_size=3, length_penalty=1.0)
    assert all(3 <= len(t) <= 12 for t in out)
    assert out == translate(model, sources, cfg, beam_size=3, length_penalty=1.0, use_cache=False)


def test_beam_search_needs_temperature_zero_and_max_new_tokens_fits():
    model = make("transformer")
    with pytest.raises(ConfigError, match="--beam-size=4 needs --temperature 0"):
        translate(model, [[8]], SamplingConfig(temperature=1.0), beam_size=4)
    with pytest.raises(ConfigError, match="max_len=32"):
        translate(model, [[8]], SamplingConfig(max_new_tokens=40, temperature=0))
    assert translate(model, [], GREEDY) == []


def test_an_empty_source_decodes():
    for kind in ("transformer", "lstm"):
        out = translate(make(kind), [[], [8, 9]], GREEDY, beam_size=2)
        assert len(out) == 2


# ------------------------------------------------------------------------------------------------
# Construction, teacher forcing, compatibility
# ------------------------------------------------------------------------------------------------


def test_teacher_forcing_convention():
    targets, mask = right_padded([[7, 8, 9], [10, 11]])
    tgt_in, tgt_mask, labels = teacher_forcing(targets, mask)
    assert tgt_in.tolist() == [[BOS_ID, 7, 8, 9], [BOS_ID, 10, 11, 0]]
    assert tgt_mask.tolist() == [[True] * 4, [True, True, True, False]]
    assert labels.tolist() == [[7, 8, 9, EOS_ID], [10, 11, EOS_ID, IGNORE]]


def test_encoder_decoder_checks_its_parts():
    encoder = Transformer(TransformerConfig(vocab_size=SRC_VOCAB, d_model=16, n_heads=2))
    plain = Transformer(TransformerConfig(vocab_size=TGT_VOCAB, d_model=32, n_heads=2, causal=True))
    with pytest.raises(ConfigError) as info:
        EncoderDecoder(encoder, plain)
    assert len(info.value.problems) == 2
    assert "mode 'decoder'" in info.value.problems[0] and "d_model=16" in info.value.problems[1]


@pytest.mark.parametrize("name", ["transformer", "rnn"])
def test_built_in_decoder_mode(name):
    decoder = build_backbone(name, "decoder", TGT_VOCAB, {}, max_length=10, sizes=dict(d_model=16, n_heads=2))
    encoder = build_backbone(name, "bidirectional", SRC_VOCAB, {}, max_length=10, sizes=dict(d_model=16, n_heads=2))
    assert decoder.causal and decoder.config.cross_attention and not encoder.config.cross_attention
    model = EncoderDecoder(encoder, decoder)
    assert model.head.embedding is decoder.token_embedding  # tied
    assert model(torch.tensor([[8, 9, 10]]), None, torch.tensor([[BOS_ID, 7]])).shape == (1, 2, TGT_VOCAB)


def test_rnn_decoder_config():
    with pytest.raises(ConfigError, match="cross_attention=True needs bidirectional=False"):
        RNNConfig(vocab_size=10, bidirectional=True, causal=False, cross_attention=True)
    with pytest.raises(ConfigError, match="cross_attention='yes' must be true or false"):
        TransformerConfig(vocab_size=10, cross_attention="yes")


def test_memory_and_config_must_agree():
    model = make("transformer")
    with pytest.raises(ConfigError, match="pass memory"):
        model.decoder(torch.tensor([[BOS_ID]]))
    with pytest.raises(ConfigError, match="without cross_attention"):
        model.encoder(torch.tensor([[8]]), None, memory=torch.zeros(1, 2, 16))
    with pytest.raises(ConfigError, match=r"memory must be \(batch=1, S, d_model=16\)"):
        make("lstm").decoder(torch.tensor([[BOS_ID]]), None, memory=torch.zeros(1, 2, 8))


def test_models_without_cross_attention_keep_their_weights():
    """A v0 LM checkpoint (before decoder mode existed) loads strictly and predicts as before."""
    checkpoint = torch.load(Path(__file__).parents[1] / "fixtures/v0_checkpoints/dna_lm.ckpt", weights_only=False)
    weights = {k.removeprefix("backbone."): v for k, v in checkpoint["state_dict"].items() if k.startswith("backbone.")}
    hp = checkpoint["hyper_parameters"]
    model = Transformer(TransformerConfig(vocab_size=hp["data_info"]["vocab_size"], d_model=hp["d_model"],
                                          n_layers=hp["n_layers"], n_heads=hp["n_heads"], causal=True,
                                          max_len=weights["position.table.weight"].shape[0]))
    model.load_state_dict(weights, strict=True)
    rnn = RNN(RNNConfig(vocab_size=10, d_model=8, n_layers=1))
    assert sorted(rnn.state_dict()) == ["norm.bias", "norm.weight", "rnn.bias_hh_l0", "rnn.bias_ih_l0",
                                        "rnn.weight_hh_l0", "rnn.weight_ih_l0", "token_embedding.weight"]


# ------------------------------------------------------------------------------------------------
# Learning: reverse random sequences
# ------------------------------------------------------------------------------------------------

ALPHABET = 6  # ids N_SPECIAL .. N_SPECIAL + 5 on both sides


def reversal_batch(g: torch.Generator, n: int, lo: int, hi: int) -> tuple[list[list[int]], list[list[int]]]:
    lengths = torch.randint(lo, hi + 1, (n,), generator=g).tolist()
    sources = [torch.randint(N_SPECIAL, N_SPECIAL + ALPHABET, (k,), generator=g).tolist() for k in lengths]
    return sources, [s[::-1] for s in sources]


def learn_to_reverse(kind: str, steps: int, lr: float, d_model: int = 32, lo: int = 3, hi: int = 6):
    """Train on fresh random batches; -> (first loss, last loss, exact match on 200 new sequences, seconds)."""
    torch.manual_seed(0)
    vocab = N_SPECIAL + ALPHABET
    if kind == "transformer":
        options = dict(d_model=d_model, n_layers=2, n_heads=4, dropout=0.0, max_len=16)
        decoder = TransformerConfig(vocab_size=vocab, causal=True, cross_attention=True, **options)
        model = EncoderDecoder(Transformer(TransformerConfig(vocab_size=vocab, **options)), Transformer(decoder))
    else:
        options = dict(d_model=d_model, n_layers=1, dropout=0.0, cell=kind)
        model = EncoderDecoder(RNN(RNNConfig(vocab_size=vocab, bidirectional=True, causal=False, **options)),
                               RNN(RNNConfig(vocab_size=vocab, cross_attention=True, **options)))
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    g, losses, start = torch.Generator().manual_seed(1), [], time.perf_counter()
    model.train()
    for _ in range(steps):
        sources, targets = reversal_batch(g, 64, lo, hi)
        tgt_in, tgt_mask, labels = teacher_forcing(*right_padded(targets))
        logits = model(*right_padded(sources), tgt_in, tgt_mask)
        loss = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    sources, targets = reversal_batch(torch.Generator().manual_seed(99), 200, lo, hi)
    out = translate(model, sources, SamplingConfig(max_new_tokens=hi + 2, temperature=0))
    exact = sum(o == t for o, t in zip(out, targets, strict=True)) / len(targets)
    return losses[0], sum(losses[-10:]) / 10, exact, time.perf_counter() - start


# the Transformer at 150 steps sat on the edge of its drop (last loss 0.21 against 0.19 allowed, exact
# match 0.92 on one machine's CPU kernels, below 0.19 on another's); at 200 steps: 0.014 and 1.0
@pytest.mark.parametrize("kind, steps, lr", [("transformer", 200, 3e-3), ("lstm", 150, 1e-2)],
                         ids=["transformer", "lstm"])
def test_learns_to_reverse_sequences(kind, steps, lr):
    first, last, exact, seconds = learn_to_reverse(kind, steps, lr)
    uniform = math.log(ALPHABET + 1)  # the letters and <eos>
    assert first > 0.8 * uniform and last < 0.1 * uniform, (first, last)
    assert exact >= 0.9, f"exact match {exact:.2f} after {steps} steps ({seconds:.1f} s)"


@pytest.mark.slow
@pytest.mark.parametrize("kind, steps, lr", [("transformer", 300, 2e-3), ("gru", 300, 2e-3)],
                         ids=["transformer", "gru"])
def test_learns_to_reverse_longer_sequences(kind, steps, lr):
    first, last, exact, seconds = learn_to_reverse(kind, steps, lr, d_model=64, lo=4, hi=12)
    assert exact >= 0.9, f"exact match {exact:.2f} after {steps} steps ({seconds:.1f} s)"
