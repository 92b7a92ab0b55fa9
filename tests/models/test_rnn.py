"""The RNN backbone: packed padding, bidirectional encoders, state-carrying decoding."""

import pytest
import torch

from polyseq import ConfigError
from polyseq.models import RNN, Backbone, RNNConfig
from polyseq.plugins import registry

VOCAB = 23
CELLS = ["lstm", "gru"]
KINDS = [("lstm", False), ("gru", False), ("lstm", True), ("gru", True)]
KIND_IDS = ["lstm", "gru", "bi-lstm", "bi-gru"]


def make(cell: str = "lstm", bidirectional: bool = False, seed: int = 0, **overrides) -> RNN:
    torch.manual_seed(seed)
    options = dict(vocab_size=VOCAB, d_model=16, n_layers=2, dropout=0.0) | overrides
    config = RNNConfig(**options, cell=cell, bidirectional=bidirectional, causal=not bidirectional)
    return RNN(config).eval()


def random_ids(batch: int, length: int, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(1, VOCAB, (batch, length), generator=g)  # never PAD_ID


def right_padded(seqs: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    T = max(s.shape[1] for s in seqs)
    ids, mask = torch.zeros(len(seqs), T, dtype=torch.long), torch.zeros(len(seqs), T, dtype=torch.bool)
    for i, s in enumerate(seqs):
        ids[i, : s.shape[1]], mask[i, : s.shape[1]] = s[0], True
    return ids, mask


@pytest.mark.parametrize("cell, bidirectional", KINDS, ids=KIND_IDS)
def test_padded_batch_equals_each_sequence_alone(cell, bidirectional):
    model = make(cell, bidirectional)
    seqs = [random_ids(1, n, seed=i) for i, n in enumerate([9, 4, 1, 6])]
    ids, mask = right_padded(seqs)
    batch = model(ids, mask)
    assert batch.shape == (4, 9, 16)
    for i, s in enumerate(seqs):
        torch.testing.assert_close(batch[i][mask[i]], model(s)[0], atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("cell, bidirectional", KINDS, ids=KIND_IDS)
def test_padded_positions_do_not_change_real_outputs(cell, bidirectional):
    model = make(cell, bidirectional)
    ids, mask = random_ids(2, 10), torch.ones(2, 10, dtype=torch.bool)
    mask[1, 4:] = False
    other = ids.clone()
    other[1, 4:] = random_ids(1, 6, seed=5)
    torch.testing.assert_close(model(ids, mask)[mask], model(other, mask)[mask])


@pytest.mark.parametrize("cell", CELLS, ids=CELLS)
def test_bidirectional_encoder_sees_both_ways_and_keeps_width(cell):
    model = make(cell, bidirectional=True)
    assert not model.causal and model.d_model == 16
    ids = random_ids(1, 8)
    changed = ids.clone()
    changed[0, -1] = (ids[0, -1] % (VOCAB - 1)) + 1
    out, out_changed = model(ids), model(changed)
    assert out.shape == (1, 8, 16)
    assert not torch.allclose(out[0, 0], out_changed[0, 0])  # the first position sees the last token


@pytest.mark.parametrize("cell", CELLS, ids=CELLS)
def test_causal_output_at_t_does_not_depend_on_later_tokens(cell):
    model, ids = make(cell), random_ids(2, 10)
    changed = ids.clone()
    changed[:, 6:] = random_ids(2, 4, seed=3)
    torch.testing.assert_close(model(changed)[:, :6], model(ids)[:, :6])


@pytest.mark.parametrize("cell", CELLS, ids=CELLS)
def test_step_decoding_matches_forward(cell):
    model, ids = make(cell), random_ids(2, 12)
    hidden, state = model.step(ids[:, :7], model.init_state(2))
    pieces = [hidden]
    for t in range(7, 12):
        hidden, state = model.step(ids[:, t : t + 1], state)
        pieces.append(hidden)
    torch.testing.assert_close(torch.cat(pieces, dim=1), model(ids), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("cell", CELLS, ids=CELLS)
def test_step_with_right_padded_prompts_continues_each_row(cell):
    model = make(cell)
    prompts, continuation = [random_ids(1, 6, seed=1), random_ids(1, 3, seed=2)], random_ids(2, 4, seed=3)
    ids, mask = right_padded(prompts)
    _, state = model.step(ids, model.init_state(2), attention_mask=mask)
    steps = []
    for t in range(4):
        h, state = model.step(continuation[:, t : t + 1], state)
        steps.append(h)
    steps = torch.cat(steps, dim=1)
    for i, p in enumerate(prompts):
        full = model(torch.cat([p, continuation[i : i + 1]], dim=1))[0]
        torch.testing.assert_close(steps[i], full[p.shape[1] :], atol=1e-5, rtol=1e-5)


def test_init_state_shapes():
    h, c = make("lstm").init_state(3)
    assert h.shape == c.shape == (2, 3, 16)
    assert make("gru").init_state(3).shape == (2, 3, 16)


def test_step_on_an_encoder_is_a_clear_error():
    model = make("gru", bidirectional=True)
    with pytest.raises(ConfigError, match="causal=False"):
        model.init_state(1)
    with pytest.raises(ConfigError, match="causal=False"):
        model.step(random_ids(1, 2), None)


def test_left_padding_is_refused():
    model, mask = make(), torch.tensor([[False, True, True]])
    with pytest.raises(ValueError, match="right-padded"):
        model(random_ids(1, 3), mask)


def test_max_len_when_set():
    model = make(max_len=5)
    model(random_ids(1, 5))
    with pytest.raises(ConfigError, match="max_len=5"):
        model(random_ids(1, 6))


def test_config_lists_every_problem_at_once():
    with pytest.raises(ConfigError) as info:
        RNNConfig(vocab_size=10, d_model=0, cell="rnn", bidirectional=True, causal=True, dropout=-0.1)
    assert info.value.problems == [
        "d_model=0 must be a positive integer",
        "cell='rnn' is not one of lstm, gru",
        "bidirectional=True needs causal=False: a bidirectional RNN sees future tokens",
        "dropout=-0.1 must be in [0, 1)",
    ]


@pytest.mark.parametrize("cell", CELLS, ids=CELLS)
def test_position_table_keeps_padding_out_and_marks_positions(cell):
    model = make(cell, bidirectional=True, positional="learned", max_len=12)
    seqs = [random_ids(1, n, seed=i) for i, n in enumerate([9, 4, 1])]
    ids, mask = right_padded(seqs)
    batch = model(ids, mask)
    for i, s in enumerate(seqs):
        torch.testing.assert_close(batch[i][mask[i]], model(s)[0], atol=1e-6, rtol=1e-6)
    assert any(p is model.position_embedding.weight for p in model.embedding_parameters())  # frozen with them


def test_position_table_needs_a_size_and_an_encoder():
    with pytest.raises(ConfigError) as info:
        RNNConfig(vocab_size=10, positional="learned")
    assert info.value.problems == ["positional='learned' needs max_len (the size of the position table), got None"]
    with pytest.raises(ConfigError, match="positional='learned' needs causal=False"):
        RNNConfig(vocab_size=10, positional="learned", max_len=8, causal=True)
    with pytest.raises(ConfigError, match="positional='absolute' is not one of none, learned"):
        RNNConfig(vocab_size=10, positional="absolute", causal=False)


@pytest.mark.parametrize("mode, expected", [
    ("bidirectional", {"bidirectional": True, "positional": "learned", "max_len": 64}),
    ("causal", {"bidirectional": False}),
    ("decoder", {"bidirectional": False}),
], ids=["encoder", "causal", "decoder"])
def test_default_options_give_encoders_positions(mode, expected):
    assert RNN.default_options(mode, 64) == expected


def test_defaults():
    config = RNNConfig(vocab_size=50)
    assert (config.d_model, config.n_layers, config.cell, config.bidirectional, config.causal, config.positional) == (
        256, 2, "lstm", False, True, "none",
    )


def test_meets_the_backbone_contract_and_trains():
    model = make("lstm", dropout=0.1).train()
    assert isinstance(model, Backbone) and model.token_embedding.padding_idx == 0
    ids, mask = right_padded([random_ids(1, 5), random_ids(1, 3, seed=2)])
    hidden = model(ids, mask)
    (hidden @ model.token_embedding.weight.T).logsumexp(-1)[mask].mean().backward()  # a tied LM head
    assert all(p.grad is not None for p in model.parameters())
    assert model.num_parameters() == sum(p.numel() for p in model.parameters())


def test_registered_as_a_backbone():
    entry = registry().backbones["rnn"]
    assert entry.origin.distribution == "polyseq"
    from polyseq.domain import resolve

    assert resolve(entry.ref, "backbone") is RNN
