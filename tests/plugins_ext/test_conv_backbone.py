"""The `conv` backbone of examples/polyseq-conv: the backbone contract (modes, padding, incremental
decoding, freezing), then training, freezing and fine-tuning through `polyseq fit` as a user would."""

import csv

import pytest
import torch

from polyseq import ConfigError
from polyseq.cli import main
from polyseq.data.info import DataInfo
from polyseq.generation import SamplingConfig, generate
from polyseq.models.backbone import build_backbone
from polyseq.training.cli import build
from polyseq.training.module import SequenceModel, load_model


@pytest.fixture(autouse=True)
def conv_installed(require):
    require("backbone", "conv", "polyseq-conv")


def conv(mode, **options):
    torch.manual_seed(0)
    options = {"d_model": 8, "n_layers": 3, "dropout": 0.0, "max_dilation": 4, **options}
    return build_backbone("conv", mode, 20, options).eval()


def padded(row, before, after):
    ids = torch.cat([torch.zeros(before, dtype=torch.long), row, torch.zeros(after, dtype=torch.long)])[None]
    mask = torch.arange(ids.shape[1])[None] >= before
    return ids, mask & (torch.arange(ids.shape[1])[None] < before + len(row))


# ---- the contract ---------------------------------------------------------------------------------


def test_modes_build_causal_or_bidirectional_and_refuse_decoder():
    assert conv("causal").causal and not conv("bidirectional").causal
    with pytest.raises(ConfigError, match="cannot be built as 'decoder'.*it supports: causal, bidirectional"):
        conv("decoder")


@pytest.mark.parametrize("mode", ["causal", "bidirectional"])
def test_padding_on_either_side_gives_the_row_alone(mode):
    model = conv(mode)
    row = torch.randint(7, 20, (6,))
    alone = model(row[None])[0]
    for before, after in [(0, 5), (4, 0), (2, 3)]:
        ids, mask = padded(row, before, after)
        assert torch.allclose(model(ids, mask)[0, before : before + 6], alone, atol=1e-5), (before, after)


def test_causal_position_sees_no_later_token():
    model = conv("causal")
    ids = torch.randint(7, 20, (1, 12))
    changed = ids.clone()
    changed[0, 7:] = 7
    assert torch.allclose(model(ids)[0, :7], model(changed)[0, :7], atol=1e-6)
    assert not torch.allclose(model(ids)[0, 7:], model(changed)[0, 7:])


def test_bidirectional_position_sees_later_tokens():
    model = conv("bidirectional")
    ids = torch.randint(7, 20, (1, 12))
    changed = ids.clone()
    changed[0, 7] = 7 if ids[0, 7] != 7 else 8
    assert not torch.allclose(model(ids)[0, 6], model(changed)[0, 6])


def test_step_in_chunks_equals_forward():
    model = conv("causal", kernel_size=2)
    ids = torch.randint(7, 20, (3, 13))
    state = model.init_state(3)
    outs = []
    for a, b in [(0, 5), (5, 6), (6, 13)]:
        hidden, new_state = model.step(ids[:, a:b], state)
        assert new_state is not state  # the old state is left as it was
        outs.append(hidden)
        state = new_state
    assert torch.allclose(torch.cat(outs, 1), model(ids), atol=1e-5)


def test_padded_prompt_then_steps_continue_each_row_where_it_ended():
    model = conv("causal")
    lengths = [3, 7, 1]
    rows = [torch.randint(7, 20, (n,)) for n in lengths]
    right = torch.zeros(3, 7, dtype=torch.long)
    for i, r in enumerate(rows):
        right[i, : len(r)] = r
    mask = torch.arange(7)[None] < torch.tensor(lengths)[:, None]
    hidden, state = model.step(right, model.init_state(3), attention_mask=mask)
    nxt = torch.randint(7, 20, (3, 2))
    more, _ = model.step(nxt, state)
    for i, r in enumerate(rows):
        expected = model(torch.cat([r, nxt[i]])[None])[0]
        assert torch.allclose(hidden[i, : len(r)], expected[: len(r)], atol=1e-5)
        assert torch.allclose(more[i], expected[len(r) :], atol=1e-5)


def test_decoding_without_step_is_not_offered_by_an_encoder():
    with pytest.raises(ConfigError, match="need a causal backbone"):
        conv("bidirectional").init_state(1)


def test_generation_with_the_incremental_state_equals_rerunning_the_sequence():
    info = DataInfo(task="lm", vocab_size=20, max_length=16)
    torch.manual_seed(0)
    model = SequenceModel(backbone="conv", d_model=16, n_layers=3, dropout=0.0, data_info=info.to_dict()).eval()
    prompts = [[9, 10, 11], [12], [13, 14, 15, 16, 17]]
    for cfg in [SamplingConfig(12, 0.0, min_new_tokens=12), SamplingConfig(12, 1.0, seed=3, min_new_tokens=12)]:
        assert generate(model, prompts, cfg, use_cache=True) == generate(model, prompts, cfg, use_cache=False)


def test_layers_and_embeddings_cover_every_weight_but_the_final_norm():
    model = conv("bidirectional")
    listed = [p for layer in model.layer_parameters() for p in layer] + model.embedding_parameters()
    assert len(model.layer_parameters()) == 3 and len({id(p) for p in listed}) == len(listed)
    rest = {n for n, p in model.named_parameters() if all(p is not q for q in listed)}
    assert rest == {"norm.weight", "norm.bias"}
    assert model.num_parameters() == sum(p.numel() for p in model.parameters())


def test_config_problems_are_reported_together():
    with pytest.raises(ConfigError) as info:
        build_backbone("conv", "bidirectional", 20, {"kernel_size": 4, "dropout": 1.5, "dilation_growth": 0})
    message = str(info.value)
    assert "kernel_size=4 must be odd when bidirectional" in message
    assert "dropout=1.5 must be in [0, 1)" in message and "dilation_growth=0 must be a positive integer" in message
    with pytest.raises(ConfigError, match="option\\(s\\) n_heads do not apply to backbone 'conv'"):
        build_backbone("conv", "causal", 20, {"n_heads": 2})


def test_dilations_stop_growing_at_what_the_data_can_use():
    model = build_backbone("conv", "causal", 20, {"n_layers": 6}, max_length=16)
    assert model.config.dilations() == [1, 2, 4, 8, 8, 8]
    assert model.config.receptive_field == 1 + 2 * 31


# ---- through polyseq fit ----------------------------------------------------------------------------


def fit_argv(csv_path, root, tiny, *extra):
    return ["fit", "--data.domain=text", f"--data.train={csv_path}", "--data.task=classify", "--data.target=label",
            *tiny, "--model.lr=3e-3", "--model.warmup_steps=5", "--model.pooling=mean",
            f"--trainer.default_root_dir={root}", f"--trainer.logger.init_args.save_dir={root}", *extra]


@pytest.fixture
def conv_classifier(tmp_path, letters_csv, tiny):
    """A conv classifier trained 60 steps through `polyseq fit --model.backbone conv`; its run folder."""
    root = tmp_path / "conv"
    argv = fit_argv(letters_csv, root, tiny, "--model.backbone=conv", "--trainer.max_steps=60",
                    "--trainer.val_check_interval=30", "--trainer.check_val_every_n_epoch=null")
    assert main(argv) == 0
    return root


def test_fit_trains_a_classifier_and_fine_tunes_it_with_frozen_layers(conv_classifier, tmp_path, letters_csv, tiny):
    accs = [float(r["val/acc"]) for r in csv.DictReader(open(next(conv_classifier.rglob("metrics.csv")))) if r.get("val/acc")]
    assert len(accs) == 2 and accs[-1] > 0.8, accs  # 'xyz' marks the class: three taps of the first layer see it
    source_ckpt = next(conv_classifier.rglob("last.ckpt"))
    source = load_model(str(source_ckpt))
    assert source.hparams["backbone"] == "conv" and not source.backbone.causal

    root = tmp_path / "finetuned"
    argv = fit_argv(letters_csv, root, tiny, f"--model.init_from={source_ckpt}", "--model.freeze=layers",
                    "--model.freeze_layers=1", "--trainer.max_steps=10", "--trainer.limit_val_batches=1")
    assert main(argv) == 0
    tuned = load_model(str(next(root.rglob("last.ckpt"))))
    assert tuned.hparams["backbone"] == "conv" and tuned.hparams["init_from"] is None  # rebuilds without the source

    def same(module_name):
        a, b = dict(source.backbone.named_parameters()), dict(tuned.backbone.named_parameters())
        return all(torch.equal(a[n], b[n]) for n in a if n.startswith(module_name))

    assert same("token_embedding.") and same("blocks.0.")  # frozen: exactly as pretrained
    assert not same("blocks.1.")  # trained on


def test_freeze_layers_1_freezes_exactly_the_embeddings_and_the_first_layer(tmp_path, letters_csv, tiny):
    argv = fit_argv(letters_csv, tmp_path, tiny, "--model.backbone=conv", "--model.freeze=layers", "--model.freeze_layers=1")
    model = build(argv[1:], run=False).model  # built as `polyseq fit` builds it, not trained
    frozen = {n for n, p in model.backbone.named_parameters() if not p.requires_grad}
    expected = {"token_embedding.weight"} | {f"blocks.0.{n}" for n, _ in model.backbone.blocks[0].named_parameters()}
    assert frozen == expected
    assert all(p.requires_grad for p in model.head.parameters())
    with pytest.raises(ConfigError, match="--model.freeze_layers=3 but the backbone has 2 layers"):
        build(fit_argv(letters_csv, tmp_path, tiny, "--model.backbone=conv", "--model.freeze=layers",
                       "--model.freeze_layers=3")[1:], run=False)


def test_a_language_model_trains_and_generates(tmp_path, letters_csv, tiny):
    root = tmp_path / "lm"
    argv = ["fit", "--data.domain=text", f"--data.train={letters_csv}", "--data.task=lm", "--model.backbone=conv",
            *tiny, "--trainer.max_steps=3", "--trainer.limit_val_batches=1", f"--trainer.default_root_dir={root}",
            f"--trainer.logger.init_args.save_dir={root}"]
    assert main(argv) == 0
    out = tmp_path / "samples.jsonl"
    ckpt = next(root.rglob("last.ckpt"))
    assert main(["generate", "--ckpt", str(ckpt), "-n", "3", "--prompt", "ab", "--max-new-tokens", "8",
                 "--out", str(out)]) == 0
    assert out.exists() and load_model(str(ckpt)).backbone.causal
