"""`polyseq estimate`: what a training run will cost, before anything trains.

The run is built as `polyseq fit` builds it (LightningCLI over the same config and flags, with
nothing run), then counted:

- parameters: exactly, `sum(p.numel())` of the built model; embeddings (token and position tables,
  the backbone's `embedding_parameters()`) apart, as nanoGPT and Chinchilla count N.
- tokens per epoch: from the token cache when `polyseq fit` built it; else the training file(s) are
  sampled (about `sample_bytes` per file in 16 runs of lines spread over it, or whole files of a
  folder until the budget), tokenized as `fit` would, and the counts scaled by the ratio of file
  sizes; a sample that cannot be prepared (a record cut in two) falls back to building the cache.
- steps: from the trainer flags (max_steps, max_epochs, limit_train_batches,
  accumulate_grad_batches) and the number of batches an epoch has.
- FLOPs: forward hooks on a few real batches see every matrix product and the shape it runs on;
  per batch, forward FLOPs = sum of 2 * (weights of each Linear, or output head tied to an embedding)
  * (rows it multiplies)
  + RNN gate matrices 2 * g * H * (I + H) * (B * T) per layer and direction (g = 4 LSTM, 3 GRU)
  + attention 4 * B * T_q * T_kv * d per attention layer (QK^T and the weighted sum; causal not halved).
  Training = 3 x forward (backward = 2 x forward), so with every token through every weight it is
  the familiar 6 * N * D + 12 * L * T * d * D. Validation passes add 1 x forward over their batches.
- activation memory per batch (what autograd keeps for backward), from the same shapes: each Linear's
  input and output, each LayerNorm and Dropout's input, 2 * B * H * T_q * T_kv per attention layer
  (scores, probabilities), B * T * (g + 2) * H per RNN layer and direction (gates, h, c), and the
  log-softmax of the output, times the bytes of an element at the trainer's precision.
- weights, gradients and AdamW: 4 + 4 + 8 (m, v) bytes per parameter in fp32; with 16-bit weights
  (bf16-true, 16-true) 2 + 2 + 8 + a 4-byte fp32 master copy (Rajbhandari et al. 2020, ZeRO).
- time = FLOPs / (peak FLOP/s * MFU) per device. GPUs: bf16 dense peaks; this CPU: a short fp32
  matmul measured now (or --cpu-flops). Default MFUs are assumptions, stated in the output. On the
  CPU, plus the overheads FLOPs do not see (per fit, batch, optimizer step, validation run, epoch):
  `polyseq.estimate_time` states the formula and its measured constants.
"""

from __future__ import annotations

import gzip
import math
import os
import random
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from polyseq.estimate_time import DEVICES, Counts, device_times, measure_cpu_flops

__all__ = ["DEVICES", "Estimate", "estimate", "measure_cpu_flops", "profile_batches"]

SAMPLE_BYTES = 1 << 20
PROFILE_BATCHES = 4
ATTENTION = ("SelfAttention", "CrossAttention", "LuongAttention")  # the built-in backbones' attention modules


@dataclass
class Estimate:
    config: list[str]
    parameters: int
    embedding_parameters: int
    trainable_parameters: int
    tokens_per_epoch: int
    tokens_source: str
    sequences_per_epoch: int
    batches_per_epoch: int
    total_batches: int
    optimizer_steps: int
    epochs: float
    validation_runs: int  # validation loops, the sanity check included
    validation_batches: int  # over the whole run
    attention_scores: float  # score elements (B * H * T_q * T_kv per attention layer) of the training batches
    validation_attention_scores: float  # and of the validation batches
    tokens_trained: int  # real tokens the run reads (padding excluded)
    train_flops: float
    eval_flops: float
    flops_6nd: float  # 6 * N_nonembedding * D, for comparison
    activation_bytes: int  # per batch
    state_bytes: dict[str, int]  # weights, gradients, optimizer
    precision: str
    devices: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def total_flops(self) -> float:
        return self.train_flops + self.eval_flops

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total_flops": self.total_flops}


# ---- the shapes a model runs on (forward hooks) ------------------------------------------------


@dataclass
class Profile:
    forward_flops: float = 0.0
    activation_elements: float = 0.0
    tokens: float = 0.0  # real (non-padding) input tokens
    largest_output: float = 0.0  # of one Linear in the current batch: the logits, whose log-softmax is kept too
    scores: float = 0.0  # attention score elements B * H * T_q * T_kv, summed over attention layers


def _rows(x: Any) -> int:
    """B*T rows of an RNN input: a batch-first tensor or a PackedSequence."""
    return int(x.data.shape[0]) if hasattr(x, "batch_sizes") else int(x.shape[0] * x.shape[1])


def _hook(profile: Profile) -> Any:
    import torch
    from torch import nn

    def hook(module: Any, args: tuple[Any, ...], output: Any) -> None:
        name = type(module).__name__
        if isinstance(module, nn.Linear):
            rows = args[0].numel() // module.in_features
            profile.forward_flops += 2 * module.in_features * module.out_features * rows
            profile.activation_elements += rows * (module.in_features + module.out_features)
            profile.largest_output = max(profile.largest_output, rows * module.out_features)
        elif isinstance(getattr(module, "embedding", None), nn.Embedding) and not isinstance(module, nn.Embedding):
            # an output head tied to an embedding (`hidden @ embedding.weight.T`): no Linear of its own
            vocab, width = module.embedding.weight.shape
            if isinstance(output, torch.Tensor) and output.shape[-1] == vocab:
                rows = output.numel() // vocab
                profile.forward_flops += 2 * vocab * width * rows
                profile.activation_elements += rows * (width + vocab)
                profile.largest_output = max(profile.largest_output, rows * vocab)
        elif isinstance(module, nn.LayerNorm) or (isinstance(module, nn.Dropout) and module.training and module.p > 0):
            profile.activation_elements += args[0].numel()
        elif isinstance(module, nn.RNNBase):
            gates = {"LSTM": 4, "GRU": 3}.get(module.mode, 1)
            rows, dirs, hidden = _rows(args[0]), 2 if module.bidirectional else 1, module.hidden_size
            for layer in range(module.num_layers):
                width = module.input_size if layer == 0 else hidden * dirs
                profile.forward_flops += 2 * gates * hidden * (width + hidden) * rows * dirs
                profile.activation_elements += rows * dirs * (gates + 2) * hidden
        elif name in ATTENTION:
            batch, t_q, d = args[0].shape
            t_kv = t_q if name == "SelfAttention" else args[1].shape[-2]
            profile.forward_flops += 4 * batch * t_q * t_kv * d
            profile.activation_elements += 2 * batch * getattr(module, "n_heads", 1) * t_q * t_kv
            profile.scores += batch * getattr(module, "n_heads", 1) * t_q * t_kv

    return hook


def profile_batches(model: Any, loader: Any, n: int, train: bool) -> tuple[Profile, int]:
    """Summed Profile of the first `n` batches of `loader` (and how many were seen); no weight changes."""
    import torch

    profile = Profile()
    handles = [m.register_forward_hook(_hook(profile)) for m in model.modules()]
    was_training = model.training
    model.train(train)
    seen = 0
    try:
        with torch.no_grad():
            for batch in loader:
                if seen >= n:
                    break
                profile.largest_output = 0.0
                model.task.step(model, batch, "val")
                profile.activation_elements += profile.largest_output
                mask = batch.get("attention_mask")
                profile.tokens += float(mask.sum()) if mask is not None else batch["input_ids"].numel()
                seen += 1
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
        for metrics in model.metrics.values():
            metrics.reset()
    return profile, seen


# ---- tokens per epoch: the cache, or a sample scaled by file size ------------------------------


def _file_size(path: Path) -> int:
    """Bytes of content: a .gz file's uncompressed size (its trailer, modulo 4 GiB)."""
    if path.suffix == ".gz":
        with open(path, "rb") as f:
            f.seek(-4, os.SEEK_END)
            return int.from_bytes(f.read(4), "little")
    return path.stat().st_size


def _spread(path: Path, folder: Path, budget: int, blocks: int = 16) -> tuple[Path, int]:
    """About `budget` bytes of `path` in `blocks` runs of whole lines spread evenly over the file (the
    first run starts at byte 0, so a header line is kept), as a file of the same name in `folder`.
    Returns the file and its size."""
    size = _file_size(path)
    opener = gzip.open if path.suffix == ".gz" else open
    parts = []
    with opener(path, "rb") as f:
        for i in range(blocks):
            f.seek(i * size // blocks)
            if i:
                f.readline()  # to the next line start
            parts.append(f.read(max(1, budget // blocks)) + f.readline())
    data = b"".join(parts)
    out = folder / path.name
    with opener(out, "wb") as f:
        f.write(data)
    return out, len(data)


def sample_files(paths: Sequence[Path], folder: Path, budget: int) -> tuple[list[Path], float]:
    """(files holding about `budget` bytes of `paths`, total size / sampled size). Files of a folder are
    taken whole in a fixed random order; a single large text file is sampled in runs of lines."""
    files = [f for p in paths for f in (sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p])]
    total = sum(_file_size(f) for f in files)
    if total <= budget:
        return list(paths), 1.0
    if len(files) == 1:
        with open(files[0], "rb") as f:
            head = f.read(4096)
        if files[0].suffix != ".gz" and b"\0" in head:  # binary (MIDI...): no lines to sample
            return list(paths), 1.0
        sample, size = _spread(files[0], folder, budget)
        return [sample], total / size
    random.Random(0).shuffle(files)
    chosen, size = [], 0
    for f in files:
        if size >= budget:
            break
        chosen.append(f)
        size += _file_size(f)
    return chosen, total / size


def _sampling_module(base: type, budget: int) -> type:
    """A subclass of the data module class that, without a token cache, prepares a sample instead."""

    class Sampled(base):  # type: ignore[misc, valid-type]
        tokens_source = "token cache"
        scale = 1.0
        scales: dict[str, float] = {}  # split -> data size / sampled size (set per instance in prepare)

        def prepare(self) -> dict[str, Any]:
            if self._prepared is not None:
                return self._prepared
            from polyseq.data import cache

            self.scales = {}
            files = self._files()
            if not files["train"]:
                return super().prepare()  # its own error
            if (cache.writable_root("tokens") / self._fingerprint(files) / "info.json").exists():
                return super().prepare()
            try:
                info = self._prepare_sample(files)
            except Exception as e:  # noqa: BLE001 - e.g. a record cut by the sample; the whole data decides
                if max(self.scales.values(), default=1.0) == 1.0:
                    raise  # the sample was the whole data: a real error
                self.scale, self.scales = 1.0, {}
                info = super().prepare()
                reason = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
                self.tokens_source = f"token cache, built now (the sample could not be prepared: {reason})"
                return info
            self._prepared = info
            return info

        def _prepare_sample(self, files: dict[str, list[Path]]) -> dict[str, Any]:
            import numpy as np

            from polyseq.tokenizers.serialization import tokenizer_from_dict

            with tempfile.TemporaryDirectory(prefix="polyseq-estimate-") as tmp:
                sampled = {}
                for split, paths in files.items():  # a split cut from the train files takes the train scale
                    where = Path(tmp) / split
                    where.mkdir()
                    sampled[split] = []
                    if paths:
                        sampled[split], self.scales[split] = sample_files(paths, where, budget)
                folder = Path(tmp) / "tokens"
                folder.mkdir()
                self._build(sampled, folder)
                info, self.arrays = self._load(folder)
                for arrays in self.arrays.values():  # read now: the folder is removed on return
                    arrays.ids, arrays.where = np.array(arrays.ids), list(arrays.where)
            self.tokenizer = tokenizer_from_dict(info["tokenizer"], source="the sampled training data")
            self.scale = self.scales["train"]
            size = sum(_file_size(f) for p in files["train"] for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file())
            self.tokens_source = (f"estimated: a sample of the training data tokenized, scaled by file size x{self.scale:.3g}"
                                  f" ({size:,} bytes)" if self.scale > 1 else "no token cache yet: the whole training data tokenized now")
            return info

    return Sampled


# ---- building the run as `polyseq fit` does ----------------------------------------------------


def build_run(argv: Sequence[str], sample_bytes: int = SAMPLE_BYTES) -> tuple[Any, list[str]]:
    """LightningCLI over `argv` (a `fit` command line without `fit`), built and not run, with a data
    module that samples when there is no token cache. Returns (cli, notes)."""
    from polyseq.data.module import SequenceDataModule
    from polyseq.training.cli import PolyseqCLI
    from polyseq.training.module import SequenceModel

    notes: list[str] = []

    class EstimateCLI(PolyseqCLI):
        def parse_arguments(self, parser: Any, args: Any) -> None:
            super().parse_arguments(parser, args)
            model, data = self.config.get("model"), self.config.get("data")
            init_from = model.get("init_from") if model is not None else None
            if init_from and not Path(init_from).exists():  # the pretraining has not run yet
                notes.append(f"--model.init_from {init_from} does not exist yet: counted with the config's own sizes "
                             "(the pretraining config's architecture)")
                model["init_from"] = None
                data["tokenizer_from"] = None

    return _cli(EstimateCLI, SequenceModel, _sampling_module(SequenceDataModule, sample_bytes), argv), notes


def _cli(cls: type, model_class: type, data_class: type, argv: Sequence[str]) -> Any:
    """As `polyseq.training.cli.build(argv, run=False)`, without checkpoint callbacks, loggers or a saved config."""
    import logging
    import warnings

    warnings.filterwarnings("ignore", message="LightningCLI's args parameter is intended")
    logging.getLogger("pytorch_lightning.utilities.rank_zero").setLevel(logging.WARNING)
    return cls(
        model_class, data_class, args=list(argv), run=False, save_config_callback=None,
        parser_kwargs={"prog": "polyseq estimate", "default_env": False},
        trainer_defaults={"accelerator": "cpu", "default_root_dir": "runs", "logger": False, "gradient_clip_val": 1.0},
        seed_everything_default=0,
    )


# ---- the estimate -------------------------------------------------------------------------------


def _limited(n: int, limit: int | float | None) -> int:
    """Batches Lightning runs of `n` under --trainer.limit_*_batches (an int: a count; a float: a fraction)."""
    if limit is None:
        return n
    return min(n, int(limit)) if isinstance(limit, int) else int(n * limit)


def _schedule(trainer: Any, batches_per_epoch: int, val_batches: int) -> tuple[int, int, int, int, list[str]]:
    """(training batches, optimizer steps, validation batches, validation runs with the sanity check) of the
    whole run, from the trainer's flags.
    An epoch ends with an optimizer step even when its last accumulation is short, as in Lightning."""
    notes = []
    accumulate = max(1, int(trainer.accumulate_grad_batches))
    steps_per_epoch = math.ceil(batches_per_epoch / accumulate)
    max_epochs = trainer.max_epochs
    max_steps = trainer.max_steps if trainer.max_steps and trainer.max_steps > 0 else None
    if max_epochs is None or max_epochs < 0:
        max_epochs = 1000 if max_steps is None else None  # Lightning's default when neither is set
    if max_steps is None and max_epochs is None:
        notes.append("no max_steps or max_epochs (max_time only?): one epoch counted")
        max_epochs = 1
    steps = min(max_steps or math.inf, max_epochs * steps_per_epoch if max_epochs is not None else math.inf)
    steps = int(steps)
    full, rest = divmod(steps, steps_per_epoch) if steps_per_epoch else (0, 0)
    total = full * batches_per_epoch + min(batches_per_epoch, rest * accumulate)
    runs = 0
    if val_batches and batches_per_epoch:
        interval = trainer.val_check_interval
        every = trainer.check_val_every_n_epoch
        if isinstance(interval, int):
            runs = total // max(1, interval)
        else:
            step = max(1, int(batches_per_epoch * float(interval)))
            runs = sum((min(batches_per_epoch, total - e * batches_per_epoch) // step)
                       for e in range(math.ceil(total / batches_per_epoch)) if every is None or (e + 1) % every == 0)
    sanity = min(trainer.num_sanity_val_steps, val_batches) if trainer.num_sanity_val_steps >= 0 else val_batches
    return total, steps, runs * val_batches + sanity, runs + (sanity > 0), notes


def _state_bytes(n: int, precision: str) -> dict[str, int]:
    weight = 2 if "16" in precision and "true" in precision else 4
    states = {"weights": weight * n, "gradients": weight * n, "optimizer (AdamW m, v)": 8 * n}
    if weight == 2:
        states["fp32 master weights"] = 4 * n
    return states


def estimate(
    argv: Sequence[str], *, mfu: dict[str, float] | None = None, cpu_flops: float | None = None,
    sample_bytes: int = SAMPLE_BYTES, n_profile: int = PROFILE_BATCHES,
) -> Estimate:
    """The cost of `polyseq fit ARGV`: parameters, tokens, steps, FLOPs, memory and time per device."""
    cli, notes = build_run(argv, sample_bytes)
    model, data, trainer = cli.model, cli.datamodule, cli.trainer
    data.setup("fit")
    train = data.datasets["train"]
    scales = data.scales or {}
    params = {id(p): p for p in model.parameters()}
    embedding = {id(p): p for m in model.modules() if hasattr(m, "embedding_parameters") for p in m.embedding_parameters()}
    n_params = sum(p.numel() for p in params.values())
    n_embedding = sum(p.numel() for p in embedding.values())

    sequences = round(len(train) * scales.get("train", 1.0))
    batches_per_epoch = _limited(math.ceil(sequences / data.batch_size), trainer.limit_train_batches)
    val_batches = 0
    if "val" in data.datasets and trainer.limit_val_batches != 0:
        val_sequences = round(len(data.datasets["val"]) * scales.get("val", scales.get("train", 1.0)))
        val_batches = _limited(math.ceil(val_sequences / data.batch_size), trainer.limit_val_batches)
    total, steps, eval_batches, val_runs, schedule_notes = _schedule(trainer, batches_per_epoch, val_batches)
    notes += schedule_notes

    train_profile, seen = profile_batches(model, data.train_dataloader(), n_profile, train=True)
    eval_flops = eval_scores = 0.0
    if eval_batches:
        val_profile, seen_val = profile_batches(model, data.val_dataloader(), n_profile, train=False)
        eval_flops = val_profile.forward_flops / max(1, seen_val) * eval_batches
        eval_scores = val_profile.scores / max(1, seen_val) * eval_batches
    train_flops = 3 * train_profile.forward_flops / max(1, seen) * total
    tokens_per_epoch = round(data.arrays["train"].n_tokens * scales.get("train", 1.0))
    epochs = total / batches_per_epoch if batches_per_epoch else 0.0
    tokens_trained = round(train_profile.tokens / max(1, seen) * total)
    precision = str(trainer.precision)
    element = 2 if "16" in precision else 4
    result = Estimate(
        config=list(argv), parameters=n_params, embedding_parameters=n_embedding,
        trainable_parameters=sum(p.numel() for p in params.values() if p.requires_grad),
        tokens_per_epoch=tokens_per_epoch, tokens_source=data.tokens_source, sequences_per_epoch=sequences,
        batches_per_epoch=batches_per_epoch, total_batches=total,
        optimizer_steps=steps, epochs=epochs, validation_runs=val_runs, validation_batches=eval_batches,
        attention_scores=train_profile.scores / max(1, seen) * total, validation_attention_scores=eval_scores,
        tokens_trained=tokens_trained, train_flops=train_flops, eval_flops=eval_flops,
        flops_6nd=6.0 * (n_params - n_embedding) * tokens_trained,
        activation_bytes=round(train_profile.activation_elements / max(1, seen) * element),
        state_bytes=_state_bytes(n_params, precision), precision=precision, notes=notes,
    )
    counts = Counts(parameters=n_params, batches=total, optimizer_steps=steps, validation_runs=val_runs,
                    epochs_started=math.ceil(epochs), attention_scores=result.attention_scores,
                    validation_attention_scores=eval_scores)
    result.devices = device_times(result.total_flops, mfu or {}, cpu_flops, counts)
    return result
