"""Quality at a fixed budget: train shipped configs with `polyseq fit` and report the metric each reaches.

    POLYSEQ_DATA_MIRROR=../shared/data OMP_NUM_THREADS=2 python -m benchmarks.quality [--only NAME]

Each run is an ordinary `polyseq fit --config examples/configs/X.yaml` (plus the overrides listed),
for both backbones; the figure is the best logged validation metric, read from the run's
metrics.csv. Not a test: it takes minutes.

    ... python -m benchmarks.quality --test --seeds 0,1,2 [--only NAME]

`--test` holds out a test split (`--data.split_fractions=[0.8,0.1,0.1]` unless the run sets its own
fractions) and adds `--test_after_fit=true`: the test split is scored once, with the checkpoint
chosen on validation, and the table gives it beside the best validation value, as mean ± std over
`--seeds` (each seed draws the initialisation; the split is `--data.seed`'s, 0 unless the config says).

    ... python -m benchmarks.quality --finetune [--test] [--seeds 0,1,2] [--only NAME]

`--finetune` runs each pretraining config once, then its fine-tuning config(s) from the pretrained
checkpoint and from scratch (`--model.init_from=null`) per seed, and the entry's classical baseline
once on the same data; with `--test` the figure is the test split's, scored with the
best-validation checkpoint.
"""

from __future__ import annotations

import argparse
import csv
import math
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from polyseq.cli import main as polyseq

ROOT = Path(__file__).resolve().parents[1]

# name: (config, overrides, metric, lower is better)
RUNS = {
    "tinyshakespeare char LM": ("text_lm_tinyshakespeare", [], "val/loss", True),
    "splice junctions": ("dna_classify_splice", [], "val/acc", False),
    "ESOL, scaffold split": ("smiles_regress_esol", [], "val/rmse", True),
    "ESOL, random split": ("smiles_regress_esol", ["--data.split=random"], "val/rmse", True),
}
BACKBONES = {"transformer": ["--model.backbone=transformer"], "lstm": ["--model.backbone=rnn"]}  # explicit: a config may ship either

# name: (config, samples, max new tokens, reference dataset file glob, metrics to report)
GENERATION = {
    "SMILES LM, MOSES/ZINC 100k": ("smiles_lm_moses", 1000, 100, "validity,uniqueness,novelty,internal_diversity"),
    "MIDI LM, Nottingham": ("midi_lm_nottingham", 50, 512, None),
    "Python code LM, stdlib": ("code_lm_stdlib", 50, 256, None),
}


def best_metric(run_dir: Path, metric: str, lower: bool) -> float:
    values = []
    for path in run_dir.rglob("metrics.csv"):
        values += [float(r[metric]) for r in csv.DictReader(open(path)) if r.get(metric)]
    if not values:
        return math.nan
    return min(values) if lower else max(values)


def test_metric(run_dir: Path, metric: str) -> float:
    """The test split's figure (`test/<name>`, logged once by `--test_after_fit`), NaN without one."""
    name = "test/" + metric.split("/", 1)[1]
    values = [float(r[name]) for path in run_dir.rglob("metrics.csv") for r in csv.DictReader(open(path)) if r.get(name)]
    return values[-1] if values else math.nan


def mean_std(values: list[float]) -> str:
    import statistics

    if len(values) < 2:
        return f"{values[0]:.3f}" if values else "-"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def train_files(config: str) -> list[Path]:
    import yaml

    from polyseq.catalog import split_files

    data = yaml.safe_load((ROOT / "examples" / "configs" / f"{config}.yaml").read_text())["data"]
    return split_files(data["dataset"], data.get("task"))["train"]


def generation_rows(only: str | None) -> list[str]:
    import io
    import json
    from contextlib import redirect_stdout

    lines = []
    for name, (config, n, new_tokens, keys) in GENERATION.items():
        if only and only not in name:
            continue
        for backbone, flags in BACKBONES.items():
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                polyseq(["fit", "--config", str(ROOT / "examples" / "configs" / f"{config}.yaml"), *flags,
                         "--trainer.enable_progress_bar=false", f"--trainer.default_root_dir={tmp}",
                         f"--trainer.logger.init_args.save_dir={tmp}"])
                ckpt = next(Path(tmp).rglob("last.ckpt"))
                reference = train_files(config)
                argv = ["generate", "--ckpt", str(ckpt), "-n", str(n), "--batch-size", "50", "--max-new-tokens",
                        str(new_tokens), "--out", str(Path(tmp) / "samples")]
                if len(reference) == 1:
                    argv += ["--reference", str(reference[0])]
                buffer = io.StringIO()
                with redirect_stdout(buffer):
                    polyseq(argv)
                metrics = json.loads(buffer.getvalue())
                shown = {k: v for k, v in metrics.items() if keys is None or k in keys.split(",")}
                text = ", ".join(f"{k} {v:.3f}" for k, v in shown.items())
                secs = time.perf_counter() - start
                print(f"{name} [{backbone}]: {text} ({secs:.0f} s)", flush=True)
                lines.append(f"| {name} | {backbone} | {n} | {text} | {secs:.0f} s | "
                             f"`polyseq fit --config examples/configs/{config}.yaml {' '.join(flags)}`".replace(" `", "`") + " |")
    return lines


class Finetune(NamedTuple):
    """A pretrain -> fine-tune comparison: the fine-tuning config, run as shipped and with --model.init_from=null."""

    pretrain: str  # config writing the checkpoint the fine-tuning config names (relative to the run folder)
    finetune: str
    metric: str
    lower: bool  # lower is better
    baseline: str | None = None  # a `polyseq baseline` scored on the fine-tuning config's data, once


FINETUNE = {
    "ESOL (random 80/10/10) after MOSES masked-LM pretraining": Finetune(
        "smiles_pretrain_moses", "smiles_finetune_esol", "val/rmse", True, "morgan_rf"),
    "FreeSolv (random 80/10/10) after MOSES masked-LM pretraining": Finetune(
        "smiles_pretrain_moses", "smiles_finetune_freesolv", "val/rmse", True, "morgan_rf"),
    "splice junctions after E. coli masked-LM pretraining": Finetune(
        "dna_pretrain_ecoli", "dna_finetune_splice", "val/acc", False, "kmer_logreg"),
}


def config_path(config: str) -> str:
    return str(ROOT / "examples" / "configs" / f"{config}.yaml")


def baseline_metric(name: str, config: str, metric: str, test: bool, out: Path) -> float:
    """`polyseq baseline NAME --config CONFIG`'s test (or val) figure for `metric`, NaN when it fails."""
    import json

    if polyseq(["baseline", name, "--config", config_path(config), "--output-dir", str(out), "--out", str(out / "predictions.csv")]) != 0:
        return math.nan
    metrics = json.loads((out / "baseline.json").read_text())["metrics"]
    key = ("test/" + metric.split("/", 1)[1]) if test else metric
    return float(metrics.get(key, math.nan))


def finetune_rows(only: str | None, seeds=(0, 1, 2), test: bool = False) -> list[str]:
    """Each entry's fine-tuning config from its pretrained checkpoint and from scratch, per seed; each
    pretraining config runs once (entries sharing it reuse its checkpoint). With `test`, the figure is
    the test split scored with the best-validation checkpoint (`--test_after_fit`), else the best
    validation value."""
    import os

    import yaml

    lines, home = [], os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # the fine-tuning configs name the pretrained checkpoints relative to here
        try:
            pretrained: dict[str, float] = {}  # pretraining config -> its wall time
            for name, run in FINETUNE.items():
                if only and only not in name:
                    continue
                if run.pretrain not in pretrained:
                    start = time.perf_counter()
                    polyseq(["fit", "--config", config_path(run.pretrain), "--trainer.enable_progress_bar=false"])
                    pretrained[run.pretrain] = time.perf_counter() - start
                    print(f"{run.pretrain}: pretrained in {pretrained[run.pretrain]:.0f} s", flush=True)
                extra = []
                if test:
                    data = yaml.safe_load(Path(config_path(run.finetune)).read_text())["data"]
                    extra = ([] if "split_fractions" in data else ["--data.split_fractions=[0.8,0.1,0.1]"]) + ["--test_after_fit=true"]
                results = {}
                for label, start_from in (("fine-tuned", []), ("from scratch", ["--model.init_from=null"])):
                    values, secs = [], []
                    for seed in seeds:
                        folder = Path(tmp) / f"{run.finetune}-{label}-{seed}".replace(" ", "_")
                        start = time.perf_counter()
                        rc = polyseq(["fit", "--config", config_path(run.finetune), *start_from, *extra,
                                      f"--seed_everything={seed}", "--trainer.enable_progress_bar=false",
                                      f"--trainer.default_root_dir={folder}", f"--trainer.logger.init_args.save_dir={folder}"])
                        secs.append(time.perf_counter() - start)
                        if rc != 0:
                            values.append(math.nan)
                        else:
                            values.append(test_metric(folder, run.metric) if test else best_metric(folder, run.metric, run.lower))
                    results[label] = (values, sum(secs) / len(secs), " ".join(start_from))
                    shown = "test/" + run.metric.split("/", 1)[1] if test else f"best {run.metric}"
                    print(f"{name} [{label}]: {shown} {values}", flush=True)
                if run.baseline:
                    value = baseline_metric(run.baseline, run.finetune, run.metric, test, Path(tmp) / f"{run.finetune}-{run.baseline}")
                    results[f"baseline {run.baseline}"] = ([value], math.nan, "")
                for label, (values, secs, flags) in results.items():
                    command = (f"`polyseq baseline {run.baseline} --config examples/configs/{run.finetune}.yaml`"
                               if label.startswith("baseline") else f"`{run.finetune}.yaml {flags}`".replace(" `", "`"))
                    wall = "-" if math.isnan(secs) else f"{secs:.0f} s"
                    lines.append(f"| {name} | {label} | {'test' if test else 'best val'} {run.metric.split('/', 1)[1]} | "
                                 f"{mean_std(values)} | {', '.join(f'{v:.3f}' for v in values)} | {wall} | {command} |")
        finally:
            os.chdir(home)
    return lines


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--only", help="run only the entries whose name contains this")
    p.add_argument("--generation", action="store_true", help="run the generation-quality runs instead")
    p.add_argument("--finetune", action="store_true", help="run pretrain -> fine-tune against from scratch, 3 seeds")
    p.add_argument("--test", action="store_true", help="hold out a test split and score the best-validation checkpoint on it")
    p.add_argument("--seeds", help="comma-separated seeds (default 0; 0,1,2 with --finetune)")
    args = p.parse_args()
    if args.finetune:
        lines = finetune_rows(args.only, [int(x) for x in (args.seeds or "0,1,2").split(",")], args.test)
        print("\n| task | start | metric | mean ± std | per seed | wall time per run | config |\n|---|---|---|---|---|---|---|")
        print("\n".join(lines))
        return
    if args.generation:
        lines = generation_rows(args.only)
        print("\n| model | backbone | samples | metrics of the samples | wall time (fit + generate) | training command |")
        print("|---|---|---|---|---|---|")
        print("\n".join(lines))
        return
    seeds = [int(x) for x in (args.seeds or "0").split(",")]
    rows = []
    for name, (config, overrides, metric, lower) in RUNS.items():
        if args.only and args.only not in name:
            continue
        if args.test:
            held_out = [] if any("split_fractions" in o for o in overrides) else ["--data.split_fractions=[0.8,0.1,0.1]"]
            overrides = [*overrides, *held_out, "--test_after_fit=true"]
        for backbone, flags in BACKBONES.items():
            best, tested, secs = [], [], []
            for seed in seeds:
                with tempfile.TemporaryDirectory() as tmp:
                    start = time.perf_counter()
                    rc = polyseq(["fit", "--config", str(ROOT / "examples" / "configs" / f"{config}.yaml"), *overrides, *flags,
                                  f"--seed_everything={seed}", "--trainer.enable_progress_bar=false",
                                  f"--trainer.default_root_dir={tmp}", f"--trainer.logger.init_args.save_dir={tmp}"])
                    best.append(best_metric(Path(tmp), metric, lower) if rc == 0 else math.nan)
                    tested.append(test_metric(Path(tmp), metric) if rc == 0 and args.test else math.nan)
                    secs.append(time.perf_counter() - start)
                print(f"{name} [{backbone}] seed {seed}: best {metric} = {best[-1]:.4f}, test {tested[-1]:.4f} "
                      f"({secs[-1]:.0f} s)", flush=True)
            rows.append((name, backbone, metric, best, tested, sum(secs) / len(secs), config, " ".join(overrides + flags)))
    print(f"\n| task | backbone | metric | best validation | test (best-val checkpoint) | test per seed | wall time per run | command |")
    print("|---|---|---|---|---|---|---|---|")
    for name, backbone, metric, best, tested, secs, config, extra in rows:
        cmd = f"`polyseq fit --config examples/configs/{config}.yaml {extra}`".replace(" `", "`")
        per_seed = ", ".join(f"{v:.3f}" for v in tested) if args.test else "-"
        test_cell = mean_std(tested) if args.test else "-"
        print(f"| {name} | {backbone} | {metric} | {mean_std(best)} | {test_cell} | {per_seed} | {secs:.0f} s | {cmd} |")

if __name__ == "__main__":
    main()
