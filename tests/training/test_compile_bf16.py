"""GPU-ready training paths, run on CPU: bf16 mixed precision, `--model.compile`, the Throughput callback.

Compilation uses the `eager` backend here (TorchDynamo traces the backbone, dynamic shapes, no code
generation): inductor's C++ build takes minutes on a 2-core CPU, so the inductor run is marked slow.
"""

import csv
import math

import pytest
import pytorch_lightning as pl
import torch

from polyseq.cli import main
from polyseq.errors import ConfigError
from polyseq.training.callbacks import Throughput, device_peak_flops, flops_per_token
from polyseq.training.cli import build
from polyseq.training.module import SequenceModel, load_model

TINY = ["--model.d_model=16", "--model.n_layers=1", "--model.n_heads=2", "--model.dropout=0.0",
        "--data.batch_size=8", "--data.max_length=24", "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false", "--trainer.limit_val_batches=0"]


def fit_args(toy_csv, root, backbone, task="lm", *extra):
    target = ["--data.target=label"] if task == "classify" else []
    return ["--data.domain=toy", f"--data.train={toy_csv}", f"--data.task={task}", *target,
            f"--model.backbone={backbone}", *TINY, f"--trainer.default_root_dir={root}",
            f"--trainer.logger.init_args.save_dir={root}", *extra]


def first(out):
    """The first tensor of a module's output (an LSTM returns (PackedSequence or tensor, state))."""
    out = out[0] if isinstance(out, tuple) else out
    return getattr(out, "data", out)


@pytest.mark.parametrize("backbone", ["transformer", "rnn"])
def test_bf16_mixed_runs_the_backbone_in_bfloat16_on_cpu(backbone, toy_csv, tmp_path):
    # classify: padded batches with masks (packed RNN sequences, SDPA with a boolean mask)
    cli = build(fit_args(toy_csv, tmp_path, backbone, "classify", "--trainer.precision=bf16-mixed",
                         "--trainer.max_steps=5"), run=False)
    lengths = []  # the compiled test below relies on batches of varying length from these options

    class Lengths(pl.Callback):
        def on_train_batch_start(self, trainer, module, batch, batch_idx):
            lengths.append(batch["input_ids"].shape[1])

    cli.trainer.callbacks.append(Lengths())
    dtypes = {}  # module type -> dtypes of its outputs during training
    for module in cli.model.backbone.modules():
        module.register_forward_hook(lambda m, args, out: dtypes.setdefault(type(m).__name__, set()).add(first(out).dtype))
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert cli.trainer.global_step == 5 and len(set(lengths)) > 1, lengths
    # autocast ran the linear layers in bf16 (the norms stay fp32; CPU autocast keeps nn.LSTM in fp32,
    # CUDA's runs cuDNN's LSTM in bf16)
    assert dtypes.get("Linear") == {torch.bfloat16}, dtypes
    assert cli.model.backbone.token_embedding.weight.dtype == torch.float32  # master weights stay fp32
    assert math.isfinite(float(cli.trainer.callback_metrics["train/loss"]))


@pytest.mark.parametrize("backbone", ["transformer", "rnn"])
def test_compiled_bf16_fit_checkpoint_loads_into_an_uncompiled_model(backbone, toy_csv, tmp_path):
    """classify: length-bucketed, padded batches of varying length; dynamic=True traces the Transformer
    once for all of them (a recompilation fails the test). The RNN's packing is a graph break."""
    import torch._dynamo

    root = tmp_path / "run"
    argv = ["fit", *fit_args(toy_csv, root, backbone, "classify", "--model.compile=true",
                              "--model.compile_options={backend: eager}", "--trainer.precision=bf16-mixed",
                              "--trainer.max_steps=5", "--trainer.log_every_n_steps=1")]
    torch._dynamo.reset()
    with torch._dynamo.config.patch(error_on_recompile=backbone == "transformer"):
        assert main(argv) == 0
    [last] = root.rglob("last.ckpt")
    raw = torch.load(last, weights_only=True)
    assert raw["global_step"] == 5 and raw["hyper_parameters"]["compile"] is True
    assert not [k for k in raw["state_dict"] if "_orig_mod" in k]
    hp = {k: v for k, v in raw["hyper_parameters"].items() if k not in ("compile", "compile_options", "_instantiator")}
    plain = SequenceModel(**hp)
    plain.load_state_dict(raw["state_dict"])  # strict: the same keys as an uncompiled model
    loaded = load_model(str(last))
    ids = torch.randint(1, raw["hyper_parameters"]["data_info"]["vocab_size"], (2, 10))
    torch.testing.assert_close(loaded(ids), plain.eval()(ids))
    # the Throughput callback (a default of `polyseq fit`) logged tokens/s; on CPU there is no peak: no MFU
    [metrics_csv] = root.rglob("metrics.csv")
    rows = list(csv.DictReader(open(metrics_csv)))
    rates = [float(r["train/tokens_per_s"]) for r in rows if r.get("train/tokens_per_s")]
    assert len(rates) == 4 and all(r > 0 for r in rates)  # the first batch starts the clock: 4 one-batch windows
    assert "train/mfu" not in rows[0]


@pytest.mark.slow
def test_inductor_compiled_transformer_trains(toy_csv, tmp_path):
    """The default backend (inductor: generated C++ on CPU, Triton on GPU) - minutes on 2 cores."""
    cli = build(fit_args(toy_csv, tmp_path, "transformer", "lm", "--model.compile=true", "--trainer.max_steps=3"),
                run=False)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert cli.trainer.global_step == 3 and math.isfinite(float(cli.trainer.callback_metrics["train/loss"]))


def test_compile_option_errors_name_the_flag(toy_csv, tmp_path):
    base = ["fit", *fit_args(toy_csv, tmp_path, "transformer", "lm", "--trainer.max_steps=1")]
    with pytest.raises(ConfigError, match="--model.compile_options: unknown key"):
        build(base[1:] + ["--model.compile=true", "--model.compile_options={speed: 11}"], run=False)
    with pytest.raises(ConfigError, match="backend='nope' is not a torch.compile backend"):
        build(base[1:] + ["--model.compile=true", "--model.compile_options={backend: nope}"], run=False)
    with pytest.raises(ConfigError, match="add --model.compile=true"):
        build(base[1:] + ["--model.compile_options={backend: eager}"], run=False)


def test_a_failing_compiler_backend_is_a_one_line_error(toy_csv, tmp_path, capsys):
    """As inductor fails without a C++ compiler (CPU) or Triton (GPU): the error names the flag and the way out."""
    import torch._dynamo

    @torch._dynamo.register_backend(name="polyseq_test_failing")
    def failing(graph, example_inputs):
        raise RuntimeError("no C++ compiler found")

    argv = ["fit", *fit_args(toy_csv, tmp_path, "transformer", "lm", "--trainer.max_steps=1", "--model.compile=true",
                              "--model.compile_options={backend: polyseq_test_failing}")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err and "--model.compile=true: torch.compile failed on the first batch" in err[-1]


def test_flops_per_token_is_nanogpts_estimate(toy_csv, tmp_path):
    cli = build(fit_args(toy_csv, tmp_path, "transformer", "lm", "--model.backbone_options={positional: learned}"),
                run=False)
    model = cli.model
    cfg = model.backbone.config
    # nanoGPT: N without the position table (the tied LM head shares the token embedding), 6N + 12 L C T
    n = sum(p.numel() for p in model.parameters()) - model.backbone.position.table.weight.numel()
    assert flops_per_token(model, 24) == 6 * n + 12 * cfg.n_layers * cfg.d_model * 24
    rnn = build(fit_args(toy_csv, tmp_path, "rnn", "lm"), run=False).model
    assert flops_per_token(rnn, 24) == 6 * sum(p.numel() for p in rnn.parameters())


def test_mfu_is_logged_when_a_peak_is_given(toy_csv, tmp_path, monkeypatch):
    monkeypatch.setenv("POLYSEQ_PEAK_FLOPS", "1e9")
    assert device_peak_flops("cpu") == 1e9
    root = tmp_path / "run"
    cli = build(fit_args(toy_csv, root, "transformer", "lm", "--trainer.max_steps=5"), run=False)
    assert any(isinstance(c, Throughput) for c in cli.trainer.callbacks)
    cli.trainer.callbacks = [c for c in cli.trainer.callbacks if not isinstance(c, Throughput)] + [Throughput(every=2)]
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    [metrics_csv] = root.rglob("metrics.csv")
    rows = [r for r in csv.DictReader(open(metrics_csv)) if r.get("train/mfu")]
    assert len(rows) == 2  # batches 2-3 and 4-5
    flops = flops_per_token(cli.model, 24)  # LM blocks are max_length long
    for r in rows:
        assert float(r["train/mfu"]) == pytest.approx(flops * float(r["train/tokens_per_s"]) / 1e9, rel=1e-6)
    monkeypatch.setenv("POLYSEQ_PEAK_FLOPS", "fast")
    with pytest.raises(ConfigError, match="POLYSEQ_PEAK_FLOPS='fast'"):
        device_peak_flops("cpu")


def test_lm_blocks_reach_the_backbone_without_a_mask(toy_csv, tmp_path):
    """No mask for unpadded LM blocks: SDPA then runs with is_causal=True, the flash kernel's case on GPU."""
    cli = build(fit_args(toy_csv, tmp_path, "transformer", "lm", "--trainer.max_steps=2"), run=False)
    masks = []
    cli.model.backbone.register_forward_pre_hook(lambda m, args: masks.append(args[1] if len(args) > 1 else None))
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert len(masks) == 2 and all(m is None for m in masks)


def test_throughput_is_logged_for_epochs_shorter_than_a_window(toy_csv, tmp_path):
    """A window cut short by the end of an epoch (or a validation) is logged, not dropped: a run whose
    epochs are shorter than log_every_n_steps still has tokens/s in metrics.csv."""
    root = tmp_path / "run"
    cli = build(fit_args(toy_csv, root, "transformer", "lm", "--trainer.max_epochs=3", "--trainer.max_steps=-1"),
                run=False)
    cli.trainer.callbacks = [c for c in cli.trainer.callbacks if not isinstance(c, Throughput)] + [Throughput(every=1000)]
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    [metrics_csv] = root.rglob("metrics.csv")
    with open(metrics_csv) as f:
        rows = [r for r in csv.DictReader(f) if r.get("train/tokens_per_s")]
    assert cli.trainer.num_training_batches < 1000 and len(rows) == 3  # one per epoch
    assert all(float(r["train/tokens_per_s"]) > 0 for r in rows)
