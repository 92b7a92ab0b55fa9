"""`polyseq embed --ckpt X --input FILE --out emb.npy|.csv [--plot emb.png]`: pooled embeddings per record.

The loop is `polyseq.training.inference` (Lightning's Trainer.predict): --trainer.* flags as in fit.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

from polyseq.cli.checkpoint import add_inference_arguments
from polyseq.errors import ConfigError, PolyseqError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("embed", help="pooled embeddings of each record; optional 2-D projection plot")
    p.add_argument("--ckpt", required=True, help="a checkpoint or export folder")
    p.add_argument("--input", required=True, type=Path, help="records, read with the checkpoint domain's reader")
    p.add_argument("--out", required=True, type=Path, help=".npy (array, ids beside it as .ids.csv) or .csv")
    p.add_argument("--pooling", choices=["mean", "cls", "last"], default=None, help="default: the model's own")
    p.add_argument("--plot", type=Path, help="PNG of a 2-D projection coloured by label or target (needs matplotlib)")
    p.add_argument("--projection", choices=["pca", "umap", "tsne"], default="pca")
    add_inference_arguments(p, batch_size=64)
    p.set_defaults(run=run)


def embeddings(trainer: Any, loaded: Any, records: list[Any], pooling: str, batch_size: int) -> Any:
    """(records, d_model) float32 array of pooled backbone states, in input order."""
    import torch

    from polyseq.cli.checkpoint import model_items
    from polyseq.data.datasets import pad_collate
    from polyseq.training import inference
    from polyseq.training.heads import pool

    def step(model: Any, batch: dict[str, Any], start: int) -> Any:
        hidden = model.backbone(batch["input_ids"], batch["attention_mask"])
        return pool(hidden, batch["attention_mask"], pooling).float()

    chunks = inference.run(trainer, loaded.model, len(records), batch_size,
                           lambda start, stop: pad_collate(model_items(loaded, records[start:stop])), step)
    return torch.cat(chunks).numpy()


def project(x: Any, how: str) -> Any:
    import numpy as np

    if how == "umap":
        try:
            import umap
        except ImportError:
            raise ConfigError("--projection umap needs the umap-learn package (pip install umap-learn)") from None
        return umap.UMAP(random_state=0).fit_transform(x)
    if how == "tsne":
        try:
            from sklearn.manifold import TSNE
        except ImportError:
            raise ConfigError("--projection tsne needs scikit-learn (pip install scikit-learn)") from None
        return TSNE(random_state=0, init="pca").fit_transform(x)
    centred = x - x.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    explained = (s[:2] ** 2 / (s**2).sum()).tolist()
    return centred @ vt[:2].T, explained


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from polyseq.cli.checkpoint import make_trainer, open_checkpoint, read_input
    from polyseq.training import inference

    if args.batch_size < 1:
        raise ConfigError(f"--batch-size must be >= 1, got {args.batch_size}")
    from polyseq.views import check_image_path

    check_image_path(args.plot, "--plot")
    if args.out.suffix not in (".npy", ".csv"):
        raise ConfigError(f"--out {args.out}: use a .npy or .csv file")
    trainer = make_trainer(args)
    loaded = open_checkpoint(args.ckpt)
    model, info = loaded.model, loaded.info
    records = read_input(loaded.domain, args.input, "embed", args, quiet=not inference.is_main_process())
    if not records:
        raise PolyseqError(f"{args.input}: no records to embed")
    pooling = args.pooling or model.hparams.get("pooling", "mean")
    x = embeddings(trainer, loaded, records, pooling, args.batch_size)
    if not trainer.is_global_zero:
        return 0
    ids = [r.meta.get("id", r.where) for r in records]
    targets = [r.target for r in records]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.suffix == ".npy":
        np.save(args.out, x)
        _write_csv(args.out.with_suffix(".ids.csv"), ids, targets, None)
    else:
        _write_csv(args.out, ids, targets, x)
    print(f"{len(records)} embeddings of size {x.shape[1]} written to {args.out}", file=sys.stderr)
    if args.plot:
        plot(x, targets, args, info, pooling)
    return 0


def _write_csv(path: Path, ids: list[Any], targets: list[Any], x: Any) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "target"] + ([f"e{i}" for i in range(x.shape[1])] if x is not None else []))
        for i, (rid, t) in enumerate(zip(ids, targets, strict=True)):
            w.writerow([rid, "" if t is None else t] + (x[i].tolist() if x is not None else []))


def plot(x: Any, targets: list[Any], args: argparse.Namespace, info: Any, pooling: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError("--plot needs matplotlib (pip install matplotlib, or polyseq[latex])") from None
    result = project(x, args.projection)
    xy, explained = result if isinstance(result, tuple) else (result, None)
    fig, ax = plt.subplots(figsize=(7, 6), dpi=120)
    values = _numbers(targets) if not info.labels else None  # readers give targets as text
    if values is not None:
        points = ax.scatter(xy[:, 0], xy[:, 1], c=values, s=8, cmap="viridis")
        fig.colorbar(points, ax=ax, label=", ".join(info.target_names) or "target")
    else:
        for label in sorted({str(t) for t in targets}):
            keep = [str(t) == label for t in targets]
            ax.scatter(xy[keep, 0], xy[keep, 1], s=8, alpha=0.7, label=label)
        ax.legend(title="label", markerscale=2)
    axis = "PC" if args.projection == "pca" else args.projection.upper()
    for i, setter in enumerate((ax.set_xlabel, ax.set_ylabel)):
        share = f" ({explained[i]:.0%} of variance)" if explained else ""
        setter(f"{axis} {i + 1}{share}")
    ax.set_title(f"{len(targets)} records of {args.input.name}: {pooling}-pooled {info.domain} embeddings\n"
                 f"({Path(args.ckpt).name}, {info.task} model), {args.projection.upper()} projection", fontsize=10)
    fig.tight_layout()
    args.plot.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.plot)
    print(f"plot written to {args.plot}", file=sys.stderr)


def _numbers(targets: list[Any]) -> list[float] | None:
    """The targets as numbers (None -> nan) when every present one reads as a number, else None."""
    if not any(t is not None for t in targets):
        return None
    try:
        return [float("nan") if t is None else float(t) for t in targets]
    except (TypeError, ValueError):
        return None
