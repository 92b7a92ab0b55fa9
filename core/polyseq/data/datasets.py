"""Dataset building blocks the tasks compose: views over cached token ids, padding, bucketing.

    LMBlocks       packed ids (records joined by <eos>) cut into blocks: input = block[:-1], labels = block[1:]
    RecordDataset  one item per record: [<cls>] + record ids (truncated), with its target and any
                   per-record sequence a task adds (`extras`: per-token labels, target ids...)
    pad_collate    pads every sequence-valued key, stacks the rest, builds the padding masks
    mask_tokens    BERT's masking, for masked-LM collates

Which view and collate a task uses is the task's business (`polyseq.tasks`); nothing here knows tasks.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from polyseq.data.cache import TokenArrays
from polyseq.data.splits import shuffled_range
from polyseq.tokenizers.base import CLS_ID, EOS_ID, MASK_ID, N_SPECIAL, PAD_ID

IGNORE = -100  # label ignored by cross-entropy
#: the padding value of each sequence-valued key of an item; a key ending in `_ids` pads with <pad>
PAD_VALUES = {"labels": IGNORE}
#: padded keys that get a padding mask (True = real token) under the given name
MASKS = {"input_ids": "attention_mask", "decoder_input_ids": "decoder_attention_mask"}


class LMBlocks(Dataset):
    """Records joined by <eos> and cut into blocks of `block + 1` ids (consecutive blocks share one id).

    The joined stream is never built: position v of it is record r's token `ids[v - r]`, or the
    <eos> closing record r when v is that record's end `offsets[r + 1] + r`, so a block is read
    straight from the (memory-mapped) cache and a corpus larger than memory trains as it is. Nor is
    the array of every record's end: only every STRIDE-th is held, and a block computes the few
    ends it spans from the offsets (55.8 M records: 0.4 MB instead of 446 MB and a 446 MB temporary).
    """

    STRIDE = 1024

    def __init__(self, arrays: TokenArrays, block: int):
        self.ids, self.offsets = arrays.ids, arrays.offsets
        self.n_records = len(arrays)
        sampled = np.arange(0, self.n_records, self.STRIDE, dtype=np.int64)
        self.sampled_ends = np.asarray(self.offsets[sampled + 1]) + sampled  # the end of records 0, STRIDE, ...
        total = arrays.n_tokens + len(arrays)
        self.block = max(1, min(block, total - 1))
        self.n = max(0, (total - 1) // self.block)

    def ends(self, first: int, last: int) -> tuple[int, np.ndarray]:
        """(lo, the ends of records lo, lo+1, ...): every record that positions first..last belong to."""
        j_first, j_last = np.searchsorted(self.sampled_ends, [first, last])
        lo = max(0, (int(j_first) - 1) * self.STRIDE)  # records before lo all end before `first`
        hi = min(self.n_records, int(j_last) * self.STRIDE + 1)
        return lo, np.asarray(self.offsets[lo + 1 : hi + 1]) + np.arange(lo, hi, dtype=np.int64)

    def __len__(self) -> int:
        return self.n

    def window(self, start: int, stop: int) -> np.ndarray:
        """Positions [start, stop) of the joined stream."""
        v = np.arange(start, stop, dtype=np.int64)
        lo, ends = self.ends(start, stop - 1)
        local = np.searchsorted(ends, v)  # the record each position belongs to (or closes), from lo
        eos = v == ends[local]
        record = lo + local
        if len(self.ids) == 0:  # records without tokens: only their <eos>
            return np.full(len(v), EOS_ID, dtype=np.int64)
        out = np.asarray(self.ids[np.where(eos, 0, v - record)], dtype=np.int64)
        out[eos] = EOS_ID
        return out

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        if not 0 <= i < self.n:
            raise IndexError(f"block {i} of {self.n}")
        chunk = torch.from_numpy(self.window(i * self.block, (i + 1) * self.block + 1))
        return {"input_ids": chunk[:-1], "labels": chunk[1:]}

    def lengths(self) -> np.ndarray:
        return np.broadcast_to(np.int64(self.block), (self.n,))  # one value seen n times: no n-long array


class RecordDataset(Dataset):
    """One item per record: [<cls>] + ids truncated to `max_length`, its target, and `extras`.

    `extras(i, n_input)` returns more keys for item i (e.g. per-token labels aligned with the
    `n_input` ids kept, or decoder inputs): how a task adds what it needs without a new view.
    """

    def __init__(
        self,
        arrays: TokenArrays,
        max_length: int,
        add_cls: bool,
        encode: Callable[[int], Sequence[int]] | None = None,
        extras: Callable[[int, int], dict[str, Any]] | None = None,
    ):
        self.arrays = arrays
        self.max_length = max_length
        self.add_cls = add_cls
        self.encode = encode  # re-tokenises an augmented sample on the fly (train split only)
        self.extras = extras

    def __len__(self) -> int:
        return len(self.arrays)

    def __getitem__(self, i: int) -> dict[str, Any]:
        ids = list(self.encode(i)) if self.encode is not None else self.arrays.sequence(i).tolist()
        ids = (([CLS_ID] if self.add_cls else []) + ids)[: self.max_length]
        item: dict[str, Any] = {"input_ids": torch.tensor(ids, dtype=torch.long), "index": i}
        if self.arrays.targets is not None:
            item["target"] = torch.as_tensor(self.arrays.targets[i])
        if self.extras is not None:
            item.update(self.extras(i, len(ids)))
        return item

    def lengths(self) -> np.ndarray:
        return np.minimum(self.arrays.lengths() + int(self.add_cls), self.max_length)


def mask_tokens(ids: torch.Tensor, vocab_size: int, probability: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masking (Devlin et al. 2019): returns (masked ids, labels with IGNORE where not masked)."""
    maskable = ids >= N_SPECIAL
    chosen = (torch.rand(ids.shape, generator=generator) < probability) & maskable
    labels = torch.where(chosen, ids, torch.full_like(ids, IGNORE))
    roll = torch.rand(ids.shape, generator=generator)
    masked = ids.clone()
    masked[chosen & (roll < 0.8)] = MASK_ID
    random_ids = torch.randint(N_SPECIAL, vocab_size, ids.shape, generator=generator)
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    masked[swap] = random_ids[swap]
    return masked, labels


def pad_collate(items: list[dict[str, Any]], masks: bool = True, pad_values: dict[str, int] | None = None) -> dict[str, torch.Tensor]:
    """Pad each sequence-valued key to the batch's longest, stack the others.

    Sequence-valued: a tensor key ending in `_ids` (padded with <pad>) or named in `pad_values`
    (default `PAD_VALUES`), padded along its first axis. With `masks`, each key of `MASKS` gets its
    padding mask (True = real token). Without (packed LM blocks, all one length), no mask is built,
    which keeps SDPA on its fused causal path.
    """
    pad_values = PAD_VALUES if pad_values is None else pad_values
    batch: dict[str, torch.Tensor] = {}
    for key, first in items[0].items():
        values = [it[key] for it in items]
        if isinstance(first, torch.Tensor) and first.dim() >= 1 and (key.endswith("_ids") or key in pad_values):
            lengths = torch.tensor([len(v) for v in values])
            batch[key] = torch.nn.utils.rnn.pad_sequence(values, batch_first=True, padding_value=pad_values.get(key, PAD_ID))
            if masks and key in MASKS:
                batch[MASKS[key]] = torch.arange(batch[key].shape[1])[None, :] < lengths[:, None]
        elif isinstance(first, torch.Tensor):
            batch[key] = torch.stack(values)
        else:
            batch[key] = torch.tensor(values)
    return batch


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of similar length: shuffle, sort within windows of 50 batches, shuffle the batches.

    Less padding without losing randomness; the seed plus the epoch number fixes the order, so a
    run resumed mid-epoch (`skip` batches) sees exactly the batches the interrupted run would have.
    """

    def __init__(self, lengths: np.ndarray, batch_size: int, shuffle: bool, seed: int = 0, drop_last: bool = False):
        self.lengths = lengths
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0  # the epoch the next __iter__ produces
        self.skip = 0  # batches of that epoch already consumed (set when resuming)

    def batches(self, epoch: int) -> Sequence[list[int]]:
        if len(self.lengths) and np.min(self.lengths) == np.max(self.lengths):
            return SameLengthBatches(self.lengths, self.batch_size, self.shuffle, self.seed + epoch, self.drop_last)
        return BucketedBatches(self.lengths, self.batch_size, self.shuffle, random.Random(self.seed + epoch), self.drop_last)

    def __iter__(self) -> Iterator[list[int]]:
        batches, skip = self.batches(self.epoch), self.skip
        self.epoch, self.skip = self.epoch + 1, 0
        return (batches[i] for i in range(skip, len(batches)))

    def __len__(self) -> int:
        n = len(self.lengths) / self.batch_size
        return math.floor(n) if self.drop_last else math.ceil(n)


class Batches(Sequence[list[int]]):
    """`n` batches of item indices, each made when asked for (`batch(i)`, 0 <= i < n)."""

    n: int

    def batch(self, i: int) -> list[int]:
        raise NotImplementedError

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self.batch(j) for j in range(*i.indices(self.n))]
        if not -self.n <= i < self.n:
            raise IndexError(f"batch {i} of {self.n}")
        return self.batch(i % self.n)


class BucketedBatches(Batches):
    """The batches of items of many lengths: the items shuffled, sorted by length (stably) within
    windows of 50 batches, cut into batches, and the batches shuffled, all with `rng` as
    `random.shuffle` and `sorted` over Python lists would do it, so the batches are those of every
    published run. Held as two int arrays (4 bytes an item, a few bytes a batch) and cut into lists
    as they are asked for: millions of records cost megabytes, not gigabytes of Python lists."""

    def __init__(self, lengths: np.ndarray, batch_size: int, shuffle: bool, rng: random.Random, drop_last: bool):
        n = len(lengths)
        order = shuffled_range(n, rng) if shuffle else np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)
        window = batch_size * 50  # windows hold whole batches: only the last batch can be short
        self.items = order[np.lexsort((np.asarray(lengths)[order], np.arange(n) // window))]  # lexsort is stable
        self.batch_size = batch_size
        self.n = n // batch_size if drop_last else math.ceil(n / batch_size)
        self.order = shuffled_range(self.n, rng) if shuffle else np.arange(self.n)

    def batch(self, i: int) -> list[int]:
        b = int(self.order[i])
        return self.items[b * self.batch_size : (b + 1) * self.batch_size].tolist()


class SameLengthBatches(Batches):
    """The batches of items all of one length (LM blocks): nothing to bucket, so one numpy
    permutation cut into batches as they are asked for; millions of blocks cost a fraction of a
    second at the start of an epoch instead of half a minute of Python shuffling and sorting."""

    def __init__(self, lengths: np.ndarray, batch_size: int, shuffle: bool, seed: int, drop_last: bool):
        n = len(lengths)
        # int32 where it fits: half the memory of millions of blocks; the same order as permutation(n)
        self.order = np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)
        if shuffle:
            np.random.default_rng(seed).shuffle(self.order)
        self.batch_size = batch_size
        self.n = n // batch_size if drop_last else math.ceil(n / batch_size)

    def batch(self, i: int) -> list[int]:
        return self.order[i * self.batch_size : (i + 1) * self.batch_size].tolist()


class ResumableLoader(DataLoader):
    """A DataLoader whose position within the epoch goes into Lightning checkpoints.

    Lightning saves `state_dict()` with each checkpoint and calls `load_state_dict()` on resume;
    the next epoch then skips the batches already trained on (indices only: no data is loaded).
    """

    def __init__(self, dataset: Dataset, batch_sampler: BucketBatchSampler, **kwargs: Any):
        super().__init__(dataset, batch_sampler=batch_sampler, **kwargs)
        self._epoch, self._served = 0, 0

    def __iter__(self) -> Iterator[Any]:
        sampler: BucketBatchSampler = self.batch_sampler  # type: ignore[assignment]
        self._epoch, self._served = sampler.epoch, sampler.skip
        for batch in super().__iter__():
            self._served += 1
            yield batch

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self._epoch, "batches": self._served}

    def load_state_dict(self, state: dict[str, int]) -> None:
        sampler: BucketBatchSampler = self.batch_sampler  # type: ignore[assignment]
        sampler.epoch, sampler.skip = int(state["epoch"]), int(state["batches"])


def cls_item(ids: Sequence[int], max_length: int) -> dict[str, torch.Tensor]:
    """<cls> + ids cut to `max_length`: the input of a pooled (classify/regress) model, as RecordDataset builds it."""
    return {"input_ids": torch.tensor(([CLS_ID] + list(ids))[:max_length], dtype=torch.long)}
