"""Run a trained model over many inputs under Lightning: the loop of `predict`, `embed` and `generate`.

Why `Trainer.predict` (with a small LightningModule around the model) and not Lightning Fabric:
the flags are then the Trainer's own, so `--trainer.accelerator/devices/precision/strategy/num_nodes`
mean, default and fail exactly as in `polyseq fit`; the precision plugin wraps every step in the
same autocast as training; the progress bar is Lightning's; and for several devices Lightning
already shards a predict loader without repeating inputs (its `UnrepeatedDistributedSampler`).
Fabric would give a shorter loop, but a second set of semantics to keep in step with `fit`.
The cost is `_Steps` below, about thirty lines.

How a run is cut: the inputs are split into chunks of `batch_size`, in input order, before Lightning
sees them; one chunk is one loader item and knows where it starts. Devices receive whole chunks,
so a chunk's batch - its padding and, for generation, its seed `seed + start` - is the same on one
device or eight, and outputs do not depend on how many took part. At the end of the loop each
process's (start, outputs) pairs are gathered into every process (`all_gather_object`) and sorted
by start: results come back in input order, and the global-zero process writes them.

Several devices: the DDP launcher that `--trainer.devices N` picks from a command line runs the
whole command once per device (each reads the input and loads the checkpoint; one writes). Spawn
and fork strategies run only the loop in their children and cannot hand the gathered results back
to the command, so they are refused with a message. Inside pytest, DDP re-runs pytest itself: test
several devices with a `polyseq` subprocess.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset

from polyseq.errors import ConfigError

#: (start, stop) -> one chunk's input: a collated batch of tensors, or a list of samples
Load = Callable[[int, int], Any]
#: (model, chunk input, start) -> that chunk's outputs: a list (one per input) or a (B, ...) tensor
Step = Callable[[Any, Any, int], Any]


class _Chunk:
    """One loader item: inputs [start, start + len) of the run. Not a collection, so Lightning leaves it whole."""

    __slots__ = ("start", "payload", "tensors")

    def __init__(self, start: int, payload: Any, tensors: bool):
        self.start, self.payload, self.tensors = start, payload, tensors


class _Chunks(Dataset):
    """Chunk k holds inputs [k * batch_size, ...); at least `least` items, the extra ones empty (payload
    None), because Lightning's predict sampler needs an item for every process."""

    def __init__(self, n: int, batch_size: int, load: Load, tensors: bool, least: int = 1):
        self.n, self.batch_size, self.load, self.tensors = n, batch_size, load, tensors
        self.chunks = -(-n // batch_size)
        self.least = least

    def __len__(self) -> int:
        return max(self.chunks, self.least)

    def __getitem__(self, k: int) -> _Chunk:
        start = k * self.batch_size
        if k >= self.chunks:
            return _Chunk(start, None, False)
        return _Chunk(start, self.load(start, min(start + self.batch_size, self.n)), self.tensors)


def _only(items: list[_Chunk]) -> _Chunk:
    return items[0]


class _Steps(pl.LightningModule):
    """Holds the model (so Lightning moves and casts it) and collects each chunk's outputs on the CPU."""

    def __init__(self, model: torch.nn.Module, step: Step):
        super().__init__()
        self.model = model
        self.step_fn = step
        self.outputs: list[tuple[int, Any]] = []

    def transfer_batch_to_device(self, batch: _Chunk, device: torch.device, dataloader_idx: int) -> _Chunk:
        if batch.tensors:
            batch.payload = super().transfer_batch_to_device(batch.payload, device, dataloader_idx)
        return batch

    def predict_step(self, batch: _Chunk, batch_idx: int) -> Any:
        if batch.payload is None:  # a filler: fewer chunks than processes
            return []
        out = self.step_fn(self.model, batch.payload, batch.start)
        self.outputs.append((batch.start, out.cpu() if isinstance(out, torch.Tensor) else out))
        return out  # not kept (return_predictions=False); a BasePredictionWriter callback would see it

    def on_predict_epoch_end(self) -> None:
        world = self.trainer.world_size
        if world > 1:
            parts: list[Any] = [None] * world
            torch.distributed.all_gather_object(parts, self.outputs)
            self.outputs = [pair for part in parts for pair in part]
        self.outputs = sorted(dict(self.outputs).items(), key=lambda pair: pair[0])


def is_main_process() -> bool:
    """False in the other processes of a multi-device run: they compute, but neither print nor write."""
    from pytorch_lightning.utilities import rank_zero_only

    return rank_zero_only.rank == 0


def make_trainer(options: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> pl.Trainer:
    """A Trainer for inference from the --trainer.* flags; a flag Lightning rejects is a ConfigError
    naming the flags that differ from `defaults`."""
    import logging

    from lightning_fabric.utilities.exceptions import MisconfigurationException
    from pytorch_lightning.strategies.launchers import _MultiProcessingLauncher

    # "GPU available but not used" and litmodels tips are noise on a CPU default (as in `polyseq fit`)
    logging.getLogger("pytorch_lightning.utilities.rank_zero").setLevel(logging.WARNING)
    changed = {k: v for k, v in options.items() if (defaults or {}).get(k, object()) != v} or options
    given = " ".join(f"--trainer.{k}={v}" for k, v in changed.items())
    _check_accelerator(options.get("accelerator"))
    try:
        trainer = pl.Trainer(**options, logger=False, enable_checkpointing=False, enable_model_summary=False)
    except (MisconfigurationException, ValueError, TypeError) as e:
        raise ConfigError(f"{given}: {' '.join(str(e).split())}") from None
    if isinstance(trainer.strategy.launcher, _MultiProcessingLauncher):
        raise ConfigError(f"--trainer.strategy={options.get('strategy')}: inference gathers its results in every "
                          "process, which spawn and fork strategies cannot hand back; use --trainer.strategy ddp")
    return trainer


def _check_accelerator(accelerator: Any) -> None:
    """A GPU asked for on a machine without one: one line saying so, not Lightning's traceback."""
    if accelerator not in ("gpu", "cuda") or torch.cuda.is_available():
        return
    if accelerator == "gpu" and torch.backends.mps.is_available():
        return
    build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
    raise ConfigError(f"--trainer.accelerator={accelerator}: no GPU is available on this machine (torch "
                      f"{torch.__version__}, {build}, sees none); use --trainer.accelerator cpu (the default) or auto")


def run(trainer: pl.Trainer, model: torch.nn.Module, n: int, batch_size: int, load: Load, step: Step,
        tensors: bool = True) -> list[Any]:
    """Each chunk's outputs, in input order: `load(start, stop)` builds a chunk's input (`tensors`: a
    collection Lightning moves to the device), `step(model, input, start)` computes its outputs."""
    if batch_size < 1:
        raise ConfigError(f"--batch-size must be >= 1, got {batch_size}")
    if n == 0:
        return []
    steps = _Steps(model, step)
    chunks = _Chunks(n, batch_size, load, tensors, least=trainer.num_devices * trainer.num_nodes)
    loader = DataLoader(chunks, batch_size=1, collate_fn=_only)
    with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):  # stdout is `generate`'s data
        # chunks are tokenised on demand in this process; Lightning's advice to add loader workers is not
        # taken (tokenising is small next to a model step on the inputs measured, and order stays simple)
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated")  # PL 2.6 on torch 2.13
        trainer.predict(steps, dataloaders=loader, return_predictions=False)
    return [out for _, out in steps.outputs]


def flatten(chunks: list[list[Any]]) -> list[Any]:
    """Per-chunk lists -> one list."""
    return [x for chunk in chunks for x in chunk]
