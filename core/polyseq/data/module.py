"""`SequenceDataModule`: any domain's files -> cached token ids -> batches for one task.

It reads with the domain's readers, splits with the domain's splits, trains a learned tokenizer
on the train split only, caches token ids (see `cache.py`), and exposes `data_info`: everything
the model and a checkpoint need (vocabulary size, labels, target scaler, tokenizer JSON).
"""

from __future__ import annotations

import glob
import inspect
import json
import logging
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from torch.utils.data import DataLoader

from polyseq.data import cache, stream
from polyseq.data.datasets import BucketBatchSampler, ResumableLoader
from polyseq.data.info import DataInfo
from polyseq.data.splits import CORE_ASSIGNMENTS, CORE_SPLITS, Subsample, check_fractions
from polyseq.domain import resolve
from polyseq.errors import ConfigError, ReaderError
from polyseq.records import ReadReport, Record, stored_size
from polyseq.tasks.base import Task
from polyseq.tokenizers.serialization import tokenizer_from_dict, tokenizer_to_dict

log = logging.getLogger("polyseq.data")
SPLITS = ("train", "val", "test")


def expand(paths: str | list[str] | None, key: str) -> list[Path]:
    """Paths or glob patterns -> existing paths; a pattern matching nothing is an error naming the key."""
    if paths is None:
        return []
    out: list[Path] = []
    for p in [paths] if isinstance(paths, str) else paths:
        matches = sorted(glob.glob(os.path.expanduser(p))) if glob.has_magic(p) else [os.path.expanduser(p)]
        if not matches:
            raise ReaderError(f"{key}={p!r}: the pattern matches no file")
        if not os.path.exists(matches[0]):
            raise ReaderError(f"{key}={p}: no such file or directory")
        out += [Path(m) for m in matches]
    return out


class SequenceDataModule(pl.LightningDataModule):
    def __init__(
        self,
        domain: str | None = None,
        train: str | list[str] | None = None,
        val: str | list[str] | None = None,
        test: str | list[str] | None = None,
        task: str = "lm",
        target: str | list[str] | None = None,
        tokenizer: str | None = None,
        tokenizer_options: dict[str, Any] | None = None,
        tokenizer_file: str | None = None,
        tokenizer_from: str | None = None,
        vocab_size: int | None = None,
        tokenizer_sample: int | None = None,
        split: str | None = None,
        split_fractions: list[float] = (0.9, 0.1),  # type: ignore[assignment]
        seed: int = 0,
        max_length: int = 256,
        batch_size: int = 32,
        num_workers: int = 0,
        augment: list[str] | None = None,
        reader_options: dict[str, Any] | None = None,
        strict: bool = False,
        mlm_probability: float = 0.15,
        dataset: str | None = None,
        target_domain: str | None = None,
        target_tokenizer: str | None = None,
        target_tokenizer_options: dict[str, Any] | None = None,
        target_vocab_size: int | None = None,
        max_record_bytes: int | None = None,
        num_proc: int = 1,
        chunk_bytes: int = stream.DEFAULT_CHUNK_BYTES,
    ):
        """
        Args:
            domain: a registered domain (`polyseq plugins` lists them); may be omitted with `dataset`.
            train: training file(s) or glob pattern(s); val/test likewise. Without val, the train
                files are split with `split` and `split_fractions` (train, val[, test]).
            task: a registered task (`polyseq plugins` lists them): lm, mlm, classify, regress, tag, seq2seq.
            target: the column/field holding the label (classify), value(s) (regress), per-position
                labels (tag) or target sequence (seq2seq).
            tokenizer: the domain's tokenizer name (default: the domain's default);
                tokenizer_options are passed to it; tokenizer_file loads a saved one instead;
                tokenizer_from takes the one inside a checkpoint or export folder (set by --model.init_from).
            vocab_size: the size a learned tokenizer is trained to.
            tokenizer_sample: a learned tokenizer trains on this many train records drawn at random
                with `seed` (default: all of them); its memory grows with the distinct records
                (molecules, songs) or words it is shown, and a sample of a few million learns
                nearly the same vocabulary.
            split: `random`, `ordered` (file order: the first part trains) or one of the domain's
                splits (e.g. scaffold for smiles); default: the dataset's default split, else random.
            max_length: longest sequence fed to the model (LM block length).
            augment: names of the domain's augmentations, applied to training samples.
            reader_options: passed to the domain's reader (e.g. window, stride).
            strict: a bad record is an error instead of being counted and skipped.
            dataset: a catalog dataset (`polyseq datasets` lists them) instead of train/val/test:
                its files are fetched (or generated) on first use, and its domain, target and
                reader options for `task` are the defaults.
            target_domain, target_tokenizer, target_tokenizer_options, target_vocab_size: the domain
                and tokenizer of seq2seq targets (default: the source's domain and its default tokenizer).
            max_record_bytes: a longer record is a bad record (default: $POLYSEQ_MAX_RECORD_BYTES,
                else 10 MB; 0: no limit) - one huge record costs many times its size to tokenize.
            num_proc: processes that tokenize text samples while the token cache is built (1: this one).
            chunk_bytes: bytes of samples tokenized at a time while the cache is built: what the
                build holds beyond the tokenizer, whatever the corpus size (see `data/stream.py`).
        """
        super().__init__()
        problems = []
        self._dataset = None
        task_data: dict[str, Any] = {}
        if dataset is not None:
            from polyseq.catalog import get_dataset

            self._dataset = get_dataset(dataset)
            spec = self._dataset.task(task)
            if domain is not None and domain != self._dataset.domain:
                problems.append(f"--data.domain={domain!r} but --data.dataset={dataset!r} is a {self._dataset.domain!r} dataset")
            if train is not None:
                problems.append("give either --data.dataset or --data.train (with val/test), not both")
            domain, target = domain or self._dataset.domain, target or spec.target
            reader_options = {**spec.reader_options, **(reader_options or {})}
            split = split or self._dataset.default_split
            task_data = dict(spec.data_options or {})
        elif domain is None:
            problems.append("--data.domain is required (or --data.dataset NAME, which implies it; `polyseq datasets` lists them)")
        if max_length < 2:
            problems.append(f"--data.max_length must be >= 2, got {max_length}")
        if batch_size < 1:
            problems.append(f"--data.batch_size must be >= 1, got {batch_size}")
        if not 0 < mlm_probability < 1:
            problems.append(f"--data.mlm_probability must be in (0, 1), got {mlm_probability}")
        if max_record_bytes is not None and max_record_bytes < 0:
            problems.append(f"--data.max_record_bytes must be >= 0 (0: no limit), got {max_record_bytes}")
        if num_proc < 1:
            problems.append(f"--data.num_proc must be >= 1, got {num_proc}")
        if chunk_bytes < 1:
            problems.append(f"--data.chunk_bytes must be >= 1, got {chunk_bytes}")
        if vocab_size is not None and vocab_size < 1:
            problems.append(f"--data.vocab_size must be >= 1, got {vocab_size}")
        if tokenizer_sample is not None and tokenizer_sample < 1:
            problems.append(f"--data.tokenizer_sample must be >= 1 record (omit it to train on all), got {tokenizer_sample}")
        from polyseq.errors import UnknownNameError
        from polyseq.tasks import get_task

        try:
            self.task = get_task(task)
        except UnknownNameError as e:
            problems.append(str(e))
        if problems:
            raise ConfigError(problems)
        self.save_hyperparameters()
        signature = inspect.signature(type(self).__init__).parameters
        for key, value in task_data.items():  # the dataset's defaults for this task, where the user gave none
            if key in signature and self.hparams[key] == signature[key].default:
                self.hparams[key] = value
        hp = self.hparams
        max_length, batch_size, num_workers, augment = hp["max_length"], hp["batch_size"], hp["num_workers"], hp["augment"]
        self.target = target
        problems = self.task.check_config(self)
        if augment and not self.task.augmentable:
            problems.append(f"--data.augment: the {task!r} task trains on the cached ids as they are and takes "
                            "no augmentation; drop --data.augment")
        elif augment:
            problems += _unknown_augmentations(domain, augment)
        if problems:
            raise ConfigError(problems)
        self.domain_name = domain
        self.split_name = split or "random"
        self.split_fractions = check_fractions(split_fractions) if val is None else None
        self.max_length = max_length
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.augment = list(augment or [])
        self.reader_options = dict(reader_options or {})
        self.strict = strict
        self.seed = seed
        self._prepared: dict[str, Any] | None = None
        self.datasets: dict[str, Any] = {}

    # ---- preparing (once, cached) ------------------------------------------------------------

    @property
    def domain(self) -> Any:
        from polyseq import get_domain

        return get_domain(self.domain_name)

    def _files(self) -> dict[str, list[Path]]:
        hp = self.hparams
        if self._dataset is not None:
            from polyseq.catalog import split_files

            files = split_files(self._dataset, self.task.name, seed=None)
            if "val" in files:
                self.split_fractions = None
            return {s: files.get(s, []) for s in SPLITS}
        return {s: expand(hp[s], f"--data.{s}") for s in SPLITS}

    def _fingerprint(self, files: dict[str, list[Path]]) -> str:
        hp = {k: v for k, v in self.hparams.items() if not k.startswith("_")}  # LightningCLI adds `_instantiator`
        for key in ("batch_size", "num_workers", "max_length", "augment", "mlm_probability", "num_proc", "chunk_bytes"):
            hp.pop(key, None)  # do not change the token ids
        if hp.get("tokenizer_sample") is None:
            hp.pop("tokenizer_sample", None)  # caches made before the option keep their fingerprint
        for key in ("tokenizer_file", "tokenizer_from"):
            if hp.get(key):
                hp[key] = cache.file_signature(hp[key])
        return cache.fingerprint({"hparams": hp, "files": {s: [cache.file_signature(p) for p in f] for s, f in files.items()}})

    def prepare(self) -> dict[str, Any]:
        """Read, split, train the tokenizer and tokenise - or load all of it from the cache."""
        if self._prepared is not None:
            return self._prepared
        files = self._files()
        if not files["train"]:
            raise ConfigError("--data.train is required: a file, a list of files or a glob pattern")
        root = cache.writable_root("tokens")
        cache.clean_stale(root)
        folder = root / self._fingerprint(files)
        if (folder / "info.json").exists():
            try:
                info, self.arrays = self._load(folder)
                log.info("token ids loaded from cache %s", folder)
                if info.get("unknown_warning"):
                    log.warning(info["unknown_warning"])
            except (cache.CorruptCache, OSError, ValueError, KeyError) as e:
                log.warning("the token cache %s is damaged (%s): rebuilding it", folder, e)
                shutil.rmtree(folder, ignore_errors=True)
        if not (folder / "info.json").exists():
            cache.build(folder, lambda tmp: self._build(files, tmp))
            info, self.arrays = self._load(folder)
        self.tokenizer = tokenizer_from_dict(info["tokenizer"], source=str(folder / "info.json"))
        self.cache_folder = folder
        self._prepared = info
        return info

    @staticmethod
    def _load(folder: Path) -> tuple[dict[str, Any], dict[str, cache.TokenArrays]]:
        info = json.loads((folder / "info.json").read_text())
        return info, {s: cache.TokenArrays.load(folder, s) for s in info["splits"]}

    def _read(self, path: Path, report: ReadReport) -> Any:
        """The records of one file, with the reader options, target, strictness and size limit set."""
        options = dict(self.reader_options)
        if self.target is not None and self._dataset is None:  # a dataset's reader_options select its target
            options[self.domain.target_option] = self.target
        return self.domain.read(path, strict=self.strict, report=report,
                                max_bytes=self.hparams.get("max_record_bytes"), **options)

    def read_split_records(self, files: dict[str, list[Path]] | None = None) -> dict[str, list[Record]]:
        files = files or self._files()
        records: dict[str, list[Record]] = {}
        for split, paths in files.items():
            report = ReadReport()
            records[split] = []
            for p in paths:
                before = len(records[split])
                records[split] += self._read(p, report)
                if len(records[split]) == before and len(paths) > 1:
                    log.warning("%s: no records", p)
            if paths:
                message = f"{split}: {report.summary()}"
                (log.warning if report.n_bad else log.info)(message)
            if paths and not records[split]:
                bad = f" ({report.summary()})" if report.n_bad else ""
                raise ReaderError(f"{', '.join(map(str, paths))}: no records{bad}")
        if not files["val"]:
            parts = self._split(records["train"])
            train = records["train"]
            records = {s: [train[i] for i in idx] for s, idx in zip(SPLITS, parts, strict=False)}
        return {s: r for s, r in records.items() if r}

    def _split(self, records: list[Record]) -> list[list[int]]:
        name = self.split_name
        if name in CORE_SPLITS:
            return CORE_SPLITS[name](records, self.split_fractions, self.seed)
        if name not in self.domain.splits:
            known = ", ".join(dict.fromkeys([*CORE_SPLITS, *self.domain.splits]))  # a domain may repeat a core name
            raise ConfigError(f"--data.split={name!r} is not a split of domain {self.domain_name!r}. Available: {known}")
        split_fn = resolve(self.domain.splits[name], f"domain {self.domain_name!r}, split {name!r}")
        return split_fn(records, self.split_fractions, self.seed)

    def _make_tokenizer(self, train: Iterable[Any], n_train: int | None = None) -> Any:
        """The tokenizer: loaded, or made and (if it learns) trained on `train`, the train split's
        samples (an iterable that may be read more than once, of `n_train` samples when known), or
        on `--data.tokenizer_sample` of them."""
        hp = self.hparams
        if hp.get("tokenizer_from"):
            from polyseq.training.pretrained import tokenizer_of

            return tokenizer_from_dict(tokenizer_of(hp["tokenizer_from"]), source=hp["tokenizer_from"])
        if hp["tokenizer_file"]:
            from polyseq.tokenizers.serialization import load_tokenizer

            return load_tokenizer(hp["tokenizer_file"])
        tok = self.domain.make_tokenizer(hp["tokenizer"], **(hp["tokenizer_options"] or {}))
        learns = getattr(tok, "trainable", False) and not getattr(tok, "is_trained", True)
        if hp["vocab_size"] and not (learns and _accepts_vocab_size(tok)):
            raise ConfigError(
                f"--data.vocab_size={hp['vocab_size']}: tokenizer {getattr(tok, 'type_name', hp['tokenizer'])!r} of domain "
                f"{self.domain_name!r} does not learn a vocabulary (its size is {tok.vocab_size}); drop --data.vocab_size "
                "or choose a learned tokenizer (`polyseq plugins` lists them)")
        sample = hp.get("tokenizer_sample")
        if sample and not learns:
            raise ConfigError(
                f"--data.tokenizer_sample={sample}: tokenizer {getattr(tok, 'type_name', hp['tokenizer'])!r} of domain "
                f"{self.domain_name!r} does not learn a vocabulary, so it trains on nothing; drop --data.tokenizer_sample")
        if learns:
            if sample:
                train = Subsample(train, sample, self.seed, n_train)
                log.info("the tokenizer trains on %d records drawn at random from the train split (--data.tokenizer_sample)", sample)
            tok.train(train, vocab_size=hp["vocab_size"]) if hp["vocab_size"] else tok.train(train)
        return tok

    def _build(self, files: dict[str, list[Path]], folder: Path) -> None:
        streams = (type(self.task).prepare_targets is Task.prepare_targets  # no per-record targets to hold
                   and (bool(files["val"]) or (self.split_name in CORE_SPLITS and not files["test"])))
        (self._build_streaming if streams else self._build_in_memory)(files, folder)

    def _build_streaming(self, files: dict[str, list[Path]], folder: Path) -> None:
        """The cache written chunk by chunk as the records stream past (see `data/stream.py`)."""
        source = stream.StreamSource(self._read, files, SPLITS, spool=folder / ".spool")
        if not files["val"]:
            report = ReadReport()
            n = sum(1 for _ in source.records(files["train"], report))
            if not n:
                bad = f" ({report.summary()})" if report.n_bad else ""
                raise ReaderError(f"{', '.join(map(str, files['train']))}: no records{bad}")
            source.assign = CORE_ASSIGNMENTS[self.split_name](n, self.split_fractions, self.seed)
            stream.check_parts(source.assign, False)
        tok = self._make_tokenizer(source.train_samples(),
                                   None if source.assign is None else int((source.assign == 0).sum()))
        encoder = stream.Encoder(tok, self.hparams.get("num_proc") or 1)
        chunk_bytes = self.hparams.get("chunk_bytes") or stream.DEFAULT_CHUNK_BYTES
        writers: dict[str, stream.SplitWriter] = {}
        try:
            for split, record in source.routed():
                if split not in writers:
                    writers[split] = stream.SplitWriter(folder, split, cache.ids_dtype(tok.vocab_size), encoder,
                                                        chunk_bytes, encoder.pending_limit, watch_unknown=split == "train")
                writers[split].add(record)
            done = {s: writers[s].finish() for s in SPLITS if s in writers}
        finally:
            encoder.close()
            shutil.rmtree(folder / ".spool", ignore_errors=True)
        from polyseq.data.unknown import warn_unknown

        train = writers["train"]
        what = f"--data.train ({self.domain_name}, tokenizer {getattr(tok, 'type_name', '?')})"
        unknown = warn_unknown(tok, [s for s, _ in train.unk_examples], [ids for _, ids in train.unk_examples], what,
                               totals=(train.n_unk, done["train"]["n_tokens"]))
        info = {
            "domain": self.domain_name, "task": self.task.name, "splits": list(done),
            "tokenizer": tokenizer_to_dict(tok, self.domain_name), "vocab_size": tok.vocab_size,
            "counts": {s: d["count"] for s, d in done.items()},
            "tokens_per_byte": {s: d["n_tokens"] / d["n_bytes"] if d["n_bytes"] else None for s, d in done.items()},
            "encode_seconds": {s: d["seconds"] for s, d in done.items()}, "target_info": {}, "unknown_warning": unknown,
            "stream": {"chunk_bytes": chunk_bytes, "chunks": {s: d["chunks"] for s, d in done.items()}},
        }
        (folder / "info.json").write_text(json.dumps(info))

    def _build_in_memory(self, files: dict[str, list[Path]], folder: Path) -> None:
        """Every record in memory: for tasks with per-record targets and splits that look at all records."""
        records = self.read_split_records(files)
        if "val" not in records:
            raise ConfigError("the validation split is empty: give --data.val or a larger train set / val fraction")
        tok = self._make_tokenizer([r.sample for r in records["train"]])
        targets, target_info = self.task.prepare_targets(records, tok, self)
        tokens_per_byte, encode_seconds, unknown = {}, {}, None
        for split, recs in records.items():
            samples = [r.sample for r in recs]
            # a tokenizer may offer a vectorised `encode_array` (numpy ids, no Python int per token)
            encode_array = getattr(tok, "encode_array", None)
            start = time.perf_counter()
            seqs = [encode_array(x) for x in samples] if encode_array else tok.encode_batch(samples)
            encode_seconds[split] = round(time.perf_counter() - start, 4)
            n_bytes = stored_size(samples)
            arrays = cache.TokenArrays.from_sequences(seqs, targets[split], [r.where for r in recs], n_bytes)
            arrays.save(folder, split, cache.ids_dtype(tok.vocab_size))
            tokens_per_byte[split] = arrays.n_tokens / n_bytes if n_bytes else None
            if split == "train":
                from polyseq.data.unknown import warn_unknown

                unknown = warn_unknown(tok, samples, seqs, f"--data.train ({self.domain_name}, tokenizer {getattr(tok, 'type_name', '?')})")
        info = {
            "domain": self.domain_name, "task": self.task.name, "splits": list(records),
            "tokenizer": tokenizer_to_dict(tok, self.domain_name), "vocab_size": tok.vocab_size,
            "counts": {s: len(r) for s, r in records.items()}, "tokens_per_byte": tokens_per_byte,
            "encode_seconds": encode_seconds, "target_info": target_info, "unknown_warning": unknown,
        }
        (folder / "info.json").write_text(json.dumps(info))

    # ---- what the model needs ------------------------------------------------------------------

    @property
    def info(self) -> DataInfo:
        """What the model and its checkpoints need to know about the data."""
        info = self.prepare()
        fields = {k: info[k] for k in ("domain", "task", "vocab_size", "tokenizer") if k in info}
        return DataInfo(**fields, **info.get("target_info", {}), max_length=self.max_length,
                        tokens_per_byte=info["tokens_per_byte"].get("val"))

    @property
    def data_info(self) -> dict[str, Any]:
        """`info` as plain values: what LightningCLI links into `--model.data_info`."""
        return self.info.to_dict()

    # ---- Lightning hooks -------------------------------------------------------------------------

    def prepare_data(self) -> None:
        self.prepare()

    def setup(self, stage: str | None = None) -> None:
        self.prepare()
        info = self.info
        for split, arrays in self.arrays.items():
            encode = self._augmented_encoder() if split == "train" and self.augment else None
            self.datasets[split] = self.task.dataset(arrays, info, encode)

    def _augmented_encoder(self) -> Any:
        import random

        augment = self.domain.augmenter(self.augment)
        samples = [r.sample for r in self.read_split_records()["train"]]
        rng = random.Random(self.seed)

        def encode(i: int) -> list[int]:
            return self.tokenizer.encode(augment(samples[i], rng))

        return encode

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        if split not in self.datasets:
            self.setup()
        if split not in self.datasets:
            raise ConfigError(f"there is no {split} split: give --data.{split} or three --data.split_fractions")
        ds = self.datasets[split]
        collate = self.task.collate(self.info, dict(self.hparams), self.seed)
        common = {"collate_fn": collate, "num_workers": self.num_workers, "pin_memory": _cuda(),
                  "persistent_workers": self.num_workers > 0}
        distributed = self.trainer is not None and self.trainer.world_size > 1
        if distributed:  # Lightning shards a plain sampler across ranks
            return DataLoader(ds, batch_size=self.batch_size, shuffle=shuffle, **common)
        sampler = BucketBatchSampler(ds.lengths(), self.batch_size, shuffle=shuffle, seed=self.seed)
        return ResumableLoader(ds, sampler, **common)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _unknown_augmentations(domain: str, names: list[str]) -> list[str]:
    """A problem per name that is not an augmentation of `domain`, listing the ones it has."""
    from polyseq import get_domain
    from polyseq.errors import UnknownNameError

    try:
        return get_domain(domain).unknown_augmentations(names)
    except UnknownNameError as e:
        return [str(e)]


def _accepts_vocab_size(tok: Any) -> bool:
    try:
        return "vocab_size" in inspect.signature(tok.train).parameters
    except (TypeError, ValueError):
        return True
