"""SequenceDataModule: reading, splitting, tokenizer training, caching, task views and batches."""

import json
import logging

import numpy as np
import pytest
import torch

from polyseq import ConfigError, ReaderError
from polyseq.data.cache import TokenArrays
from polyseq.data.datasets import IGNORE, BucketBatchSampler, LMBlocks, mask_tokens
from polyseq.data.module import SequenceDataModule
from polyseq.tokenizers.base import CLS_ID, EOS_ID, MASK_ID, PAD_ID

from .conftest import write_toy


def dm(path, **kw):
    kw.setdefault("batch_size", 8)
    kw.setdefault("max_length", 16)
    return SequenceDataModule(domain="toy", train=str(path), **kw)


def test_classify_batches_have_cls_padding_mask_and_labels(toy_csv):
    data = dm(toy_csv, task="classify", target="label")
    info = data.info
    assert info.labels == ("motif", "plain") and info.task == "classify"
    data.setup()
    assert len(data.datasets["train"]) + len(data.datasets["val"]) == 120
    batch = next(iter(data.train_dataloader()))
    assert (batch["input_ids"][:, 0] == CLS_ID).all()
    assert batch["attention_mask"].dtype == torch.bool
    assert torch.equal(batch["attention_mask"], batch["input_ids"] != PAD_ID)
    assert batch["input_ids"].size(1) <= 16 and set(batch["target"].tolist()) <= {0, 1}


def test_tokenizer_is_trained_on_the_train_split_only(tmp_path):
    train, val = tmp_path / "train.csv", tmp_path / "val.csv"
    train.write_text("id,seq,label,a,b\n" + "".join(f"r{i},abab,plain,0,0\n" for i in range(9)))
    val.write_text("id,seq,label,a,b\nq,qqab,plain,0,0\n")
    data = dm(train, val=str(val))
    data.prepare()
    assert data.tokenizer.to_config()["chars"] == ["a", "b"]
    # 'q' is outside a train-only vocabulary: the char tokenizer's byte fallback keeps it as its byte
    q = data.tokenizer.encode("q")
    assert data.tokenizer.tokens("q") == ["<0x71>"] and data.arrays["val"].sequence(0).tolist()[:2] == q * 2


def test_second_run_loads_from_cache(toy_csv, cache_dir, caplog):
    first = dm(toy_csv, task="regress", target=["a", "b"])
    first.prepare()
    folders = list((cache_dir / "tokens").iterdir())
    assert len(folders) == 1
    caplog.set_level(logging.INFO, logger="polyseq.data")
    second = dm(toy_csv, task="regress", target=["a", "b"])
    second.prepare()
    assert "loaded from cache" in caplog.text
    assert np.array_equal(np.asarray(second.arrays["train"].ids), np.asarray(first.arrays["train"].ids))
    info = second.info
    assert info.target_names == ("a", "b") and len(info.target_mean) == 2
    toy_csv.write_text(toy_csv.read_text() + "r999,abcabc,plain,2,6\n")  # the file changed: prepare afresh
    dm(toy_csv, task="regress", target=["a", "b"]).prepare()
    assert len(list((cache_dir / "tokens").iterdir())) == 2


def test_lm_blocks_join_records_with_eos(toy_csv):
    data = dm(toy_csv, task="lm", max_length=32)
    data.setup()
    item = data.datasets["train"][0]
    assert torch.equal(item["input_ids"][1:], item["labels"][:-1])
    blocks, arrays = data.datasets["train"], data.arrays["train"]
    joined = [t for i in range(len(arrays)) for t in [*arrays.sequence(i).tolist(), EOS_ID]]
    assert blocks.window(0, len(joined)).tolist() == joined
    assert item["input_ids"].tolist() == joined[:32] and blocks[1]["input_ids"].tolist() == joined[32:64]


@pytest.mark.parametrize("stride", [1, 3, 1024])
def test_lm_blocks_find_records_from_sampled_ends(stride, monkeypatch):
    """Thousands of records, many without tokens: every block is the joined stream's slice, however
    the held ends are spaced (LMBlocks keeps every STRIDE-th record's end, not all of them)."""
    monkeypatch.setattr(LMBlocks, "STRIDE", stride)
    rng = np.random.default_rng(stride)
    seqs = [rng.integers(5, 50, size=int(n)).tolist() for n in rng.choice([0, 0, 1, 2, 7, 40], size=3000)]
    arrays = TokenArrays.from_sequences(seqs, None, [f"r{i}" for i in range(len(seqs))], 0)
    joined = [t for s in seqs for t in [*s, EOS_ID]]
    blocks = LMBlocks(arrays, 16)
    assert len(blocks) == (len(joined) - 1) // 16
    for i in [0, 1, len(blocks) // 2, len(blocks) - 1]:
        assert blocks[i]["input_ids"].tolist() == joined[i * 16 : i * 16 + 16]
        assert blocks[i]["labels"].tolist() == joined[i * 16 + 1 : i * 16 + 17]
    for start, stop in [(0, len(joined)), (5, 6), (len(joined) - 3, len(joined))]:
        assert blocks.window(start, stop).tolist() == joined[start:stop]


def _list_batches(lengths, batch_size, shuffle, seed, drop_last):
    """The batches as BucketBatchSampler made them with Python lists (every published run's order)."""
    import random

    order = list(range(len(lengths)))
    rng = random.Random(seed)
    if shuffle:
        rng.shuffle(order)
    window, batches = batch_size * 50, []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: lengths[i])
        batches += [chunk[j : j + batch_size] for j in range(0, len(chunk), batch_size)]
    if drop_last and batches and len(batches[-1]) < batch_size:
        batches.pop()
    if shuffle:
        rng.shuffle(batches)
    return batches


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("drop_last", [True, False])
def test_bucketed_batches_are_the_python_list_batches(shuffle, drop_last):
    """Held as int arrays, the batches are exactly those of the list algorithm, epoch by epoch."""
    rng = np.random.default_rng(0)
    for n, batch_size, top in [(0, 4, 5), (2, 4, 5), (5, 8, 3), (999, 7, 40), (2500, 3, 9), (4001, 32, 200)]:
        lengths = rng.integers(1, top, size=n)
        lengths[:2] = [1, 2][:n]  # lengths that differ (all one length takes SameLengthBatches)
        sampler = BucketBatchSampler(lengths, batch_size, shuffle, seed=11, drop_last=drop_last)
        for epoch in (0, 1):
            assert list(sampler.batches(epoch)) == _list_batches(lengths, batch_size, shuffle, 11 + epoch, drop_last)


def test_streamed_offsets_file_is_the_cumulative_lengths(tmp_path):
    """The streamed build writes offsets a block at a time: the same .npy np.save would write."""
    from polyseq.data.stream import write_offsets

    lengths = np.random.default_rng(3).integers(0, 1000, size=10_001).astype(np.int64)
    for count, block in [(0, 4), (1, 4), (10_001, 1000), (10_001, 1 << 20)]:
        raw = tmp_path / "lengths.tmp"
        lengths[:count].tofile(raw)
        total = write_offsets(raw, tmp_path / "offsets.npy", count, block=block)
        offsets = np.load(tmp_path / "offsets.npy", allow_pickle=False)
        assert offsets.tolist() == [0, *np.cumsum(lengths[:count]).tolist()] and total == int(offsets[-1])
        assert not raw.exists()
        np.save(tmp_path / "saved.npy", offsets)
        assert (tmp_path / "offsets.npy").read_bytes() == (tmp_path / "saved.npy").read_bytes()


@pytest.mark.parametrize("task", ["lm", "classify"], ids=["streamed-build", "in-memory-build"])
def test_ordered_split_keeps_file_order(toy_csv, task):
    """--data.split=ordered: the first 80 % of rows train, the next 10 % validate, the last 10 % test."""
    rows = toy_csv.read_text().splitlines()[1:]
    seqs = [row.split(",")[1] for row in rows]
    data = dm(toy_csv, task=task, target="label" if task == "classify" else None, split="ordered",
              split_fractions=[0.8, 0.1, 0.1])
    data.prepare()
    tok = data.tokenizer
    got = {s: [tok.decode(a.sequence(i).tolist()) for i in range(len(a))] for s, a in data.arrays.items()}
    assert got == {"train": seqs[:96], "val": seqs[96:108], "test": seqs[108:]}
    shuffled = dm(toy_csv, split="random", split_fractions=[0.8, 0.1, 0.1]).read_split_records()["val"]
    assert [r.sample for r in shuffled] != got["val"]  # the default split does shuffle


def test_bad_records_are_counted_before_training(tmp_path, caplog):
    path = write_toy(tmp_path / "bad.csv", n=40, bad_rows=2)
    caplog.set_level(logging.WARNING, logger="polyseq.data")
    dm(path, task="classify", target="label").prepare()
    assert "2 bad" in caplog.text and "bad.csv:42: empty sequence" in caplog.text
    with pytest.raises(Exception, match="bad.csv:42: empty sequence"):
        dm(path, task="classify", target="label", strict=True).prepare()


def test_tokenizer_sample_trains_on_that_many_train_records_streamed_or_in_memory(tmp_path, cache_dir):
    letters = [chr(c) for c in range(0x3B1, 0x3B1 + 25)]  # one letter a record: the vocabulary shows what trained
    train = tmp_path / "train.csv"
    train.write_text("id,seq,label,a,b\n" + "".join(f"r{i},{c * 3},plain,0,0\n" for i, c in enumerate(letters)))
    full = dm(train, split="ordered")
    full.prepare()
    assert len(full.tokenizer.to_config()["chars"]) == 23  # the first 23 of 25 (ordered split, 2 validate)
    sampled = dm(train, split="ordered", tokenizer_sample=5)
    info = sampled.prepare()
    chars = sampled.tokenizer.to_config()["chars"]
    assert len(chars) == 5 and set(chars) <= set(letters[:23])  # 5 train records, none from validation
    assert info["stream"]  # built streaming; the in-memory build draws the same 5
    reference = tmp_path / "in-memory"
    reference.mkdir()
    sampled._build_in_memory(sampled._files(), reference)
    assert json.loads((reference / "info.json").read_text())["tokenizer"] == info["tokenizer"]
    assert sampled.cache_folder != full.cache_folder
    again = dm(train, split="ordered", tokenizer_sample=5, seed=1)
    again.prepare()
    assert again.tokenizer.to_config()["chars"] != chars  # the seed draws the sample


def test_tokenizer_sample_on_a_tokenizer_that_learns_nothing_is_an_error(tmp_path):
    fasta = tmp_path / "a.fa"
    fasta.write_text(">a\nACGT\n>b\nGGCC\n")
    with pytest.raises(ConfigError, match=r"--data.tokenizer_sample=3: tokenizer 'dna.nucleotide' .* drop --data.tokenizer_sample"):
        SequenceDataModule(domain="dna", train=str(fasta), val=str(fasta), tokenizer_sample=3).prepare()
    with pytest.raises(ConfigError, match="--data.tokenizer_sample must be >= 1"):
        dm(fasta, tokenizer_sample=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"task": "classify"}, "--data.task=classify needs --data.target"),
        ({"task": "translate"}, "no task 'translate'"),
        ({"split_fractions": [0.5, 0.6]}, "--data.split_fractions=[0.5, 0.6]"),
        ({"split": "scaffold"}, "--data.split='scaffold' is not a split of domain 'toy'. Available: random"),
    ],
    ids=["no-target", "bad-task", "bad-fractions", "unknown-split"],
)
def test_config_errors_name_the_key(toy_csv, kwargs, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        dm(toy_csv, **kwargs).prepare()


def test_glob_matching_nothing_names_the_key(tmp_path):
    with pytest.raises(ReaderError, match=r"--data.train='.*nothing\*.csv': the pattern matches no file"):
        dm(tmp_path / "nothing*.csv").prepare()


def test_mlm_masking_follows_80_10_10():
    ids = torch.randint(7, 50, (200, 50))
    masked, labels = mask_tokens(ids, 50, 0.15, torch.Generator().manual_seed(0))
    chosen = labels != IGNORE
    assert 0.12 < chosen.float().mean() < 0.18
    assert torch.equal(labels[chosen], ids[chosen])
    share_mask = (masked[chosen] == MASK_ID).float().mean()
    share_kept = (masked[chosen] == ids[chosen]).float().mean()
    assert 0.75 < share_mask < 0.85 and 0.07 < share_kept < 0.15
    assert torch.equal(masked[~chosen], ids[~chosen])


def test_bucket_sampler_covers_every_index_once_and_groups_lengths():
    lengths = np.random.default_rng(0).integers(1, 100, 1000)
    batches = list(BucketBatchSampler(lengths, 10, shuffle=True, seed=1))
    assert sorted(i for b in batches for i in b) == list(range(1000))
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    assert spread < 10  # random batches of 10 would spread ~80


def test_same_length_batches_cover_every_index_once_and_resume_where_they_stopped():
    sampler = BucketBatchSampler(np.full(1003, 64), 10, shuffle=True, seed=3)
    batches = list(sampler)  # epoch 0
    assert sorted(i for b in batches for i in b) == list(range(1003)) and len(batches) == len(sampler) == 101
    assert list(sampler) != batches  # epoch 1: another order
    sampler.epoch, sampler.skip = 0, 40  # resumed after 40 batches of epoch 0
    assert list(sampler) == batches[40:]
    assert len(list(BucketBatchSampler(np.full(1003, 64), 10, shuffle=True, drop_last=True))) == 100
