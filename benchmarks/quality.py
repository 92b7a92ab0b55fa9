"""Quality at a fixed budget: train shipped configs with `polyseq fit` and report the metric each reaches.

    POLYSEQ_DATA_MIRROR=../shared/data OMP_NUM_THREADS=2 python -m benchmarks.quality [--only NAME]

Each run is an ordinary `polyseq fit --config examples/configs/X.yaml` (plus the overrides listed),
for both backbones; the figure is the best logged validation metric, read from the run's
metrics.csv. Not a test: it takes minutes.

    ... python -m benchmarks.quality --test --seeds 0,1,2 [--only NAME]

`--test` holds out a test split (`--data.split_fractions=[0.8,0.1,0.1]` unless the run sets its own
fractions) and adds `--test_after_fit=true`: the test split is scored once, with the checkpoint
chosen on validation, and the table gives it beside the best validation value, as mean ± std over
`--seeds` (each seed draws the split and the initialisation).
"""

from __future__ import annotations

import argparse
import csv
import math
import tempfile
import time
from pathlib import Path

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


# name: (pretrain config, fine-tune config, metric, lower is better)
FINETUNE = {
    "ESOL (scaffold split) after MOSES LM pretraining": ("smiles_pretrain_moses", "smiles_finetune_esol", "val/rmse", True),
    "splice junctions after E. coli LM pretraining": ("dna_pretrain_ecoli", "dna_finetune_splice", "val/acc", False),
}


def finetune_rows(only: str | None, seeds=(0, 1, 2)) -> list[str]:
    import os

    lines, home = [], os.getcwd()
    for name, (pre, fine, metric, lower) in FINETUNE.items():
        if only and only not in name:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            os.chdir(tmp)  # the fine-tuning config names the pretrained checkpoint relative to here
            try:
                polyseq(["fit", "--config", str(ROOT / "examples" / "configs" / f"{pre}.yaml"), "--trainer.enable_progress_bar=false"])
                results = {}
                for label, extra in (("fine-tuned", []), ("from scratch", ["--model.init_from=null"])):
                    values = []
                    for seed in seeds:
                        run = Path(tmp) / f"{label}-{seed}".replace(" ", "_")
                        polyseq(["fit", "--config", str(ROOT / "examples" / "configs" / f"{fine}.yaml"), *extra,
                                 f"--seed_everything={seed}", "--trainer.enable_progress_bar=false",
                                 f"--trainer.default_root_dir={run}", f"--trainer.logger.init_args.save_dir={run}"])
                        values.append(best_metric(run, metric, lower))
                    results[label] = values
                    print(f"{name} [{label}]: {metric} {values}", flush=True)
            finally:
                os.chdir(home)
        for label, values in results.items():
            lines.append(f"| {name} | {label} | {metric} | {mean_std(values)} | "
                         f"{', '.join(f'{v:.3f}' for v in values)} | `{fine}.yaml`{' --model.init_from=null' if label == 'from scratch' else ''} |")
    return lines


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--only", help="run only the entries whose name contains this")
    p.add_argument("--generation", action="store_true", help="run the generation-quality runs instead")
    p.add_argument("--finetune", action="store_true", help="run pretrain -> fine-tune against from scratch, 3 seeds")
    p.add_argument("--test", action="store_true", help="hold out a test split and score the best-validation checkpoint on it")
    p.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    args = p.parse_args()
    if args.finetune:
        lines = finetune_rows(args.only)
        print("\n| task | start | metric | mean ± std (3 seeds) | per seed | config |\n|---|---|---|---|---|---|")
        print("\n".join(lines))
        return
    if args.generation:
        lines = generation_rows(args.only)
        print("\n| model | backbone | samples | metrics of the samples | wall time (fit + generate) | training command |")
        print("|---|---|---|---|---|---|")
        print("\n".join(lines))
        return
    seeds = [int(x) for x in args.seeds.split(",")]
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
