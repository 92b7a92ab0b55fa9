"""`polyseq estimate`: every shipped config gets every quantity; the counts agree with the built run,
the token cache, torch's own FLOP counter and the steps a real fit takes."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
import yaml

from polyseq.catalog import get_dataset
from polyseq.cli import main
from polyseq.estimate import estimate, profile_batches
from polyseq.training.cli import build

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "examples" / "configs").glob("*.yaml"))
QUANTITIES = ("parameters", "tokens per epoch", "steps", "training FLOPs", "activations / batch",
              "weights+grads+AdamW", "cpu", "compute", "fit start", "per batch", "per optimizer step",
              "per validation run", "per epoch", "attention scores", "A100", "H100", "H200")
FAST = ["--cpu-flops", "1e10", "--sample-bytes", "16384"]  # no CPU measurement; a small sample


def is_offline(config: Path) -> bool:
    return get_dataset(yaml.safe_load(config.read_text())["data"]["dataset"]).generator is not None


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    """One POLYSEQ_CACHE for the module: a generated dataset is generated once."""
    folder, before = tmp_path_factory.mktemp("estimate-cache"), os.environ.get("POLYSEQ_CACHE")
    os.environ["POLYSEQ_CACHE"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("POLYSEQ_CACHE", None)
    else:
        os.environ["POLYSEQ_CACHE"] = before


def check_table(out: str) -> None:
    for quantity in QUANTITIES:
        assert any(line.lstrip().startswith(quantity) for line in out.splitlines()), (quantity, out)


@pytest.mark.parametrize("config", [c for c in CONFIGS if is_offline(c)], ids=lambda c: c.stem)
def test_estimate_prints_every_quantity_for_each_offline_config(config, shared_cache, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["estimate", "--config", str(config), *FAST]) == 0
    out = capsys.readouterr().out
    check_table(out)
    assert not (tmp_path / "runs").exists()  # nothing trained, nothing written


@pytest.mark.realdata
@pytest.mark.parametrize("config", [c for c in CONFIGS if not is_offline(c)], ids=lambda c: c.stem)
def test_estimate_prints_every_quantity_for_each_real_data_config(config, data_mirror, realdata_cache, capsys,
                                                                   tmp_path, monkeypatch):
    monkeypatch.setenv("POLYSEQ_CACHE", str(realdata_cache))
    monkeypatch.chdir(tmp_path)
    assert main(["estimate", "--config", str(config), *FAST]) == 0
    check_table(capsys.readouterr().out)


TINY = ["--data.dataset=dna_motifs", "--data.max_length=64", "--data.batch_size=8", "--model.d_model=32",
        "--model.n_layers=2", "--trainer.max_steps=3", "--trainer.logger=false", "--trainer.enable_progress_bar=false"]


@pytest.mark.parametrize("extra", [["--data.task=lm"], ["--data.task=lm", "--model.backbone=rnn"],
                                   ["--data.task=classify", "--model.n_heads=2"]], ids=["transformer-lm", "rnn-lm", "classify"])
def test_parameters_and_tokens_equal_the_built_run_and_its_cache(extra, shared_cache):
    cli = build([*TINY, *extra], run=False)  # as `polyseq fit` builds it: the token cache is written
    e = estimate([*TINY, *extra], cpu_flops=1e10)
    assert e.tokens_source == "token cache"
    assert e.parameters == sum(p.numel() for p in cli.model.parameters())
    assert e.embedding_parameters == cli.model.backbone.token_embedding.weight.numel() + sum(
        p.numel() for p in cli.model.backbone.embedding_parameters()[1:])
    assert e.tokens_per_epoch == cli.datamodule.arrays["train"].n_tokens
    cli.datamodule.setup("fit")
    assert e.sequences_per_epoch == len(cli.datamodule.datasets["train"])


def test_flops_equal_torch_flop_counter_for_a_transformer(shared_cache):
    """The hooks' count (x3 for forward + backward) against torch.utils.flop_counter on a real batch."""
    from torch.utils.flop_counter import FlopCounterMode

    cli = build([*TINY, "--data.task=lm"], run=False)
    model, data = cli.model, cli.datamodule
    data.setup("fit")
    batch = next(iter(data.train_dataloader()))
    profile, seen = profile_batches(model, [batch], 1, train=True)
    with FlopCounterMode(display=False) as counter:
        loss, _ = model.task.step(model, batch, "train")
        loss.backward()
    assert seen == 1
    assert 3 * profile.forward_flops == pytest.approx(counter.get_total_flops(), rel=0.02)
    b, t = batch["input_ids"].shape  # one score per head, query and key, in each of the layers
    heads = [m.n_heads for m in model.modules() if type(m).__name__ == "SelfAttention"]
    assert len(heads) == 2 and profile.scores == sum(b * h * t * t for h in heads)


def test_rnn_flops_are_six_n_d_over_its_matrices(shared_cache):
    """torch's counter does not see LSTM kernels; for an LM every token crosses every weight matrix once."""
    cli = build([*TINY, "--data.task=lm", "--model.backbone=rnn"], run=False)
    model, data = cli.model, cli.datamodule
    data.setup("fit")
    batch = next(iter(data.train_dataloader()))
    profile, _ = profile_batches(model, [batch], 1, train=True)
    matrices = sum(p.numel() for name, p in model.backbone.named_parameters() if p.dim() == 2 and "embedding" not in name)
    head = model.backbone.token_embedding.weight.numel()  # the tied output head
    assert 3 * profile.forward_flops == 6 * (matrices + head) * batch["input_ids"].numel()
    assert profile.scores == 0  # no attention


def test_steps_validation_runs_and_epochs_equal_those_of_a_real_fit(shared_cache, tmp_path):
    from pytorch_lightning import Callback

    class Count(Callback):
        validation_runs = epochs = 0

        def on_validation_start(self, trainer, pl_module):
            self.validation_runs += 1

        def on_train_epoch_start(self, trainer, pl_module):
            self.epochs += 1

    argv = [*TINY, "--data.task=classify", "--model.n_heads=2", "--trainer.max_steps=-1", "--trainer.max_epochs=2",
            "--trainer.limit_train_batches=5", "--trainer.accumulate_grad_batches=2", "--trainer.limit_val_batches=2",
            f"--trainer.default_root_dir={tmp_path}"]
    e = estimate(argv, cpu_flops=1e10)
    cli = build(argv, run=False)
    count = Count()
    cli.trainer.callbacks.append(count)
    cli.trainer.fit(cli.model, cli.datamodule)
    assert e.optimizer_steps == cli.trainer.global_step
    assert e.epochs == 2 and e.total_batches == 10
    assert e.validation_runs == count.validation_runs == 3  # the sanity check and one per epoch
    assert e.validation_batches == 3 * 2


def test_a_sample_scaled_by_file_size_is_close_to_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    rng = random.Random(0)
    words = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 9))) for _ in range(300)]
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(rng.choices(words, k=rng.randint(3, 30))) for _ in range(4000)) + "\n")
    argv = ["--data.domain=text", f"--data.train={corpus}", "--data.reader_options.mode=line", "--data.tokenizer=char", "--data.max_length=64",
            "--model.d_model=16", "--model.n_layers=1", "--trainer.max_steps=2", "--trainer.logger=false"]
    sampled = estimate(argv, cpu_flops=1e10, sample_bytes=32 << 10)
    assert sampled.tokens_source.startswith("estimated: a sample")
    assert not list((tmp_path / "cache" / "tokens").glob("*/info.json"))  # the estimate built no cache
    cli = build(argv, run=False)
    exact = cli.datamodule.arrays["train"].n_tokens
    assert sampled.tokens_per_epoch == pytest.approx(exact, rel=0.05)
    assert sampled.parameters == sum(p.numel() for p in cli.model.parameters())


def test_time_is_flops_over_peak_times_mfu_plus_the_cpu_overheads(shared_cache, capsys):
    assert main(["estimate", *TINY, "--data.task=lm", "--json", "--cpu-flops", "2e10", "--mfu", "cpu=0.5",
                 "--mfu", "H100=0.1"]) == 0
    import json

    result = json.loads(capsys.readouterr().out)
    devices = {d["device"]: d for d in result["devices"]}
    cpu = devices["cpu"]
    assert cpu["compute_seconds"] == pytest.approx(result["total_flops"] / 1e10)
    terms = {t["term"]: t["seconds"] for t in cpu["overheads"]}
    assert set(terms) == {"fit start", "per batch", "per optimizer step", "per validation run", "per epoch",
                          "attention scores"}
    assert all(seconds >= 0 for seconds in terms.values()) and terms["per batch"] > 0 and terms["attention scores"] > 0
    assert cpu["seconds"] == pytest.approx(cpu["compute_seconds"] + sum(terms.values()))
    assert devices["H100"]["seconds"] == pytest.approx(result["total_flops"] / (989e12 * 0.1))
    assert devices["H100"]["overheads"] == [] and devices["A100"]["mfu_source"] == "default"
    # the overheads follow the run's counts: twice the steps, twice the per-batch and per-step terms
    assert main(["estimate", *TINY, "--data.task=lm", "--json", "--cpu-flops", "2e10", "--trainer.max_steps=6"]) == 0
    longer = {t["term"]: t["seconds"] for t in json.loads(capsys.readouterr().out)["devices"][0]["overheads"]}
    assert longer["per batch"] == pytest.approx(2 * terms["per batch"])
    assert longer["per optimizer step"] == pytest.approx(2 * terms["per optimizer step"])
    assert longer["attention scores"] == pytest.approx(2 * terms["attention scores"], rel=0.3)  # other batches


def test_the_printed_cpu_time_is_the_sum_of_its_printed_terms(shared_cache, capsys):
    assert main(["estimate", *TINY, "--data.task=lm", "--cpu-flops", "2e10", "--trainer.limit_val_batches=2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("cpu "))
    total = _seconds(lines[at].split()[4:6])
    parts = lines[at + 1:at + 8]
    assert [p.split()[0] for p in parts] == ["compute", "fit", "per", "per", "per", "per", "attention"]
    values = [_seconds(p[:40].split()[-2:]) for p in parts]
    assert all(v >= 0 for v in values)
    assert sum(values) == pytest.approx(total, rel=0.02)  # each printed to 3 significant digits


def _seconds(words: list[str]) -> float:
    value, unit = words
    return float(value) * {"ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0}[unit]


@pytest.mark.parametrize("argv, named", [
    (["--data.domain=text", "--data.train=MISSING/corpus.txt"], "MISSING/corpus.txt"),
    (["--data.dataset=dna_motifs", "--mfu", "TPU=0.5"], "TPU"),
    (["--data.dataset=dna_motifs", "--mfu", "cpu=2"], "--mfu"),
    ([], "--config"),
], ids=["missing-file", "unknown-device", "mfu-out-of-range", "no-arguments"])
def test_errors_are_one_line(argv, named, shared_cache, capsys):
    assert main(["estimate", *argv, "--cpu-flops", "1e10"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and named in err and "Traceback" not in err, err
