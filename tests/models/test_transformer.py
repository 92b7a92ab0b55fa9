"""The Transformer backbone: attention parity with a naive reference, padding, causality, KV-cached decoding."""

import math

import pytest
import torch

from polyseq import ConfigError
from polyseq.models import Backbone, Transformer, TransformerConfig
from polyseq.plugins import registry

VOCAB = 23
POSITIONALS = ["learned", "sinusoidal", "rope"]


def make(causal: bool, positional: str = "learned", seed: int = 0, **overrides) -> Transformer:
    torch.manual_seed(seed)
    options = dict(vocab_size=VOCAB, d_model=32, n_layers=2, n_heads=4, max_len=32, dropout=0.0)
    config = TransformerConfig(**options | overrides, causal=causal, positional=positional)
    return Transformer(config).eval()


def random_ids(batch: int, length: int, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(1, VOCAB, (batch, length), generator=g)  # never PAD_ID


def naive_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, **_):
    """softmax(Q K^T / sqrt(d)) V, with a boolean mask (True = may attend) and/or a causal mask."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (B, H, T, S)
    T, S = scores.shape[-2:]
    if is_causal:
        scores = scores.masked_fill(~torch.ones(T, S, dtype=torch.bool).tril(), float("-inf"))
    if attn_mask is not None:
        scores = scores.masked_fill(~attn_mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


# ------------------------------------------------------------------------------------------------
# SDPA against the naive reference
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "causal, padded",
    [(True, False), (True, True), (False, False), (False, True)],
    ids=["causal", "causal-padding-mask", "encoder", "encoder-padding-mask"],
)
def test_sdpa_matches_naive_attention(monkeypatch, causal, padded):
    model = make(causal)
    ids = random_ids(3, 10)
    mask = None
    if padded:
        mask = torch.ones(3, 10, dtype=torch.bool)
        mask[1, 6:] = False
        mask[2, 2:] = False
    expected_sdpa = model(ids, mask)
    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", naive_attention)
    expected_naive = model(ids, mask)
    real = mask if mask is not None else torch.ones(3, 10, dtype=torch.bool)
    torch.testing.assert_close(expected_sdpa[real], expected_naive[real], atol=1e-5, rtol=1e-5)


def test_kv_cached_step_matches_naive_attention(monkeypatch):
    model, ids = make(causal=True, positional="rope"), random_ids(2, 8)
    state = model.init_state(2)
    sdpa, _ = model.step(ids, state)
    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", naive_attention)
    naive, _ = model.step(ids, model.init_state(2))
    torch.testing.assert_close(sdpa, naive, atol=1e-5, rtol=1e-5)


# ------------------------------------------------------------------------------------------------
# Padding and causality
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("positional", POSITIONALS, ids=POSITIONALS)
@pytest.mark.parametrize("causal", [False, True], ids=["encoder", "decoder"])
def test_padded_positions_do_not_change_real_outputs(causal, positional):
    model = make(causal, positional)
    ids, mask = random_ids(2, 12), torch.ones(2, 12, dtype=torch.bool)
    mask[0, 7:] = False
    other = ids.clone()
    other[0, 7:] = random_ids(1, 5, seed=9)
    torch.testing.assert_close(model(ids, mask)[mask], model(other, mask)[mask], atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("positional", POSITIONALS, ids=POSITIONALS)
@pytest.mark.parametrize("causal", [False, True], ids=["encoder", "decoder"])
@pytest.mark.parametrize("side", ["right", "left"], ids=["right-padded", "left-padded"])
def test_padded_batch_equals_each_sequence_alone(causal, positional, side):
    model = make(causal, positional)
    lengths = [9, 4, 6]
    ids, mask = torch.zeros(3, 9, dtype=torch.long), torch.zeros(3, 9, dtype=torch.bool)
    alone = [random_ids(1, n, seed=i) for i, n in enumerate(lengths)]
    for i, seq in enumerate(alone):
        where = slice(0, len(seq[0])) if side == "right" else slice(9 - len(seq[0]), 9)
        ids[i, where], mask[i, where] = seq[0], True
    batch = model(ids, mask)
    assert torch.isfinite(batch).all()  # padded rows stay finite: no NaN from fully masked softmax rows
    for i, seq in enumerate(alone):
        torch.testing.assert_close(batch[i][mask[i]], model(seq)[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("positional", POSITIONALS, ids=POSITIONALS)
def test_causal_output_at_t_does_not_depend_on_later_tokens(positional):
    model = make(True, positional)
    ids = random_ids(2, 12)
    out = model(ids)
    for t in (0, 5, 10):
        changed = ids.clone()
        changed[:, t + 1 :] = random_ids(2, 11 - t, seed=t + 7)
        torch.testing.assert_close(model(changed)[:, : t + 1], out[:, : t + 1], atol=1e-6, rtol=1e-6)


def test_encoder_output_depends_on_later_tokens():
    model, ids = make(False), random_ids(1, 8)
    changed = ids.clone()
    changed[0, -1] = (ids[0, -1] % (VOCAB - 1)) + 1
    assert not torch.allclose(model(ids)[0, 0], model(changed)[0, 0])


# ------------------------------------------------------------------------------------------------
# KV-cached decoding
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("positional", POSITIONALS, ids=POSITIONALS)
def test_step_decoding_matches_forward(positional):
    model, ids = make(True, positional), random_ids(2, 12)
    state = model.init_state(batch_size=2)
    hidden, state = model.step(ids[:, :7], state)  # the prompt in one call
    pieces = [hidden]
    for t in range(7, 12):  # then 5 tokens one at a time
        hidden, state = model.step(ids[:, t : t + 1], state)
        assert hidden.shape == (2, 1, 32)
        pieces.append(hidden)
    torch.testing.assert_close(torch.cat(pieces, dim=1), model(ids), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("positional", POSITIONALS, ids=POSITIONALS)
@pytest.mark.parametrize("side", ["right", "left"], ids=["right-padded", "left-padded"])
def test_step_with_padded_prompts_matches_each_sequence_alone(positional, side):
    model = make(True, positional)
    prompts, continuation = [random_ids(1, 6, seed=1), random_ids(1, 3, seed=2)], random_ids(2, 4, seed=3)
    ids, mask = torch.zeros(2, 6, dtype=torch.long), torch.zeros(2, 6, dtype=torch.bool)
    for i, p in enumerate(prompts):
        where = slice(0, p.shape[1]) if side == "right" else slice(6 - p.shape[1], 6)
        ids[i, where], mask[i, where] = p[0], True
    hidden, state = model.step(ids, model.init_state(2), attention_mask=mask)
    steps = []
    for t in range(4):
        h, state = model.step(continuation[:, t : t + 1], state)
        steps.append(h)
    steps = torch.cat(steps, dim=1)
    for i, p in enumerate(prompts):
        full = model(torch.cat([p, continuation[i : i + 1]], dim=1))[0]
        torch.testing.assert_close(hidden[i][mask[i]], full[: p.shape[1]], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(steps[i], full[p.shape[1] :], atol=1e-5, rtol=1e-5)


def test_step_on_an_encoder_is_a_clear_error():
    model = make(causal=False)
    with pytest.raises(ConfigError, match="causal=False"):
        model.init_state(1)
    with pytest.raises(ConfigError, match="causal=False"):
        model.step(random_ids(1, 2), None)


@pytest.mark.parametrize("positional", POSITIONALS, ids=POSITIONALS)
def test_max_len_is_enforced(positional):
    model = make(True, positional, max_len=8)
    model(random_ids(1, 8))
    with pytest.raises(ConfigError, match="max_len=8"):
        model(random_ids(1, 9))
    state = model.init_state(1)
    model.step(random_ids(1, 6), state)
    model.step(random_ids(1, 2), state)
    with pytest.raises(ConfigError, match="KV cache"):
        model.step(random_ids(1, 1), state)
    with pytest.raises(ConfigError, match="exceeds the model's max_len=8"):
        model.init_state(1, max_len=9)


# ------------------------------------------------------------------------------------------------
# Construction: config validation, init, contract, registration
# ------------------------------------------------------------------------------------------------


def test_config_lists_every_problem_at_once():
    with pytest.raises(ConfigError) as info:
        TransformerConfig(vocab_size=0, d_model=256, n_heads=6, positional="alibi", dropout=1.5, d_ff=-1)
    assert info.value.problems == [
        "vocab_size=0 must be a positive integer",
        "d_ff=-1 must be a positive integer or None (4 * d_model)",
        "n_heads=6 does not divide d_model=256",
        "positional='alibi' is not one of learned, sinusoidal, rope",
        "dropout=1.5 must be in [0, 1)",
    ]


@pytest.mark.parametrize(
    "options, problem",
    [
        (dict(d_model=36, n_heads=4, positional="rope"), "positional='rope' needs an even head size"),
        (dict(d_model=33, n_heads=1, positional="sinusoidal"), "positional='sinusoidal' needs an even d_model"),
        (dict(n_heads=0), "n_heads=0 must be a positive integer"),
        (dict(causal="yes"), "causal='yes' must be true or false"),
    ],
    ids=["rope-odd-head", "sinusoidal-odd-width", "zero-heads", "causal-not-bool"],
)
def test_config_rejects(options, problem):
    with pytest.raises(ConfigError, match=problem):
        TransformerConfig(vocab_size=10, **options)


def test_defaults_and_gpt2_init():
    config = TransformerConfig(vocab_size=100)
    assert (config.d_model, config.n_layers, config.n_heads, config.ff_size, config.max_len) == (256, 4, 4, 1024, 1024)
    assert not config.causal and config.positional == "learned"
    torch.manual_seed(0)
    model = Transformer(config)
    assert model.blocks[0].mlp.fc.weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert model.blocks[0].mlp.proj.weight.std().item() == pytest.approx(0.02 / math.sqrt(8), rel=0.05)
    assert model.token_embedding.padding_idx == 0 and not model.token_embedding.weight[0].any()
    assert model.num_parameters() == sum(p.numel() for p in model.parameters())


def test_meets_the_backbone_contract_and_trains():
    model = make(True, "rope", dropout=0.1).train()
    assert isinstance(model, Backbone) and model.d_model == 32 and model.causal
    ids = random_ids(2, 7)
    hidden = model(ids, torch.ones(2, 7, dtype=torch.bool))
    assert hidden.shape == (2, 7, 32) and hidden.dtype == torch.float32
    (hidden @ model.token_embedding.weight.T).logsumexp(-1).mean().backward()  # a tied LM head
    assert all(p.grad is not None for p in model.parameters())


def test_registered_as_a_backbone():
    entry = registry().backbones["transformer"]
    assert entry.origin.distribution == "polyseq"
    from polyseq.domain import resolve

    assert resolve(entry.ref, "backbone") is Transformer
