"""The streamed token cache (`data/stream.py`): the same files as the in-memory build, chunk by
chunk, memory-mapped read-only at training time, rebuilt when truncated."""

import json
import logging
import random

import numpy as np
import pytest

from polyseq.data import cache
from polyseq.data.module import SequenceDataModule

from .conftest import write_toy


def _dna(path):
    rng = random.Random(1)
    path.write_text("".join(f">r{i}\n{''.join(rng.choice('ACGT') for _ in range(rng.randint(20, 90)))}\n" for i in range(300)))
    return path, {}


def _text(path):
    rng = random.Random(2)
    words = "the quick brown fox jumps over a lazy dog while seven zebras quietly graze".split()
    path.write_text("".join(" ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) + "\n" for _ in range(300)))
    return path, {"reader_options": {"mode": "line"}, "vocab_size": 300}


def _smiles(path):
    rng = random.Random(3)
    parts = ["C", "CC", "O", "N", "c1ccccc1", "C(=O)O", "CCl", "C#N"]
    path.write_text("".join("".join(rng.choice(parts) for _ in range(rng.randint(1, 5))) + "\n" for _ in range(300)))
    return path, {}


def _latex(path):
    rng = random.Random(4)
    parts = ["x^{2}", "\\frac{a}{b}", "\\alpha", "+", "y_{i}", "\\sqrt{z}"]
    path.write_text("".join(" ".join(rng.choice(parts) for _ in range(rng.randint(1, 6))) + "\n" for _ in range(300)))
    return path, {}


def _code(path):
    path.mkdir()
    for i in range(60):
        (path / f"m{i}.py").write_text(f"def f{i}(a, b):\n    return a * {i} + b  # n{i}\n")
    return path, {}


def _midi(path):
    from polyseq_midi.examples import EXAMPLES
    from polyseq_midi.io import write_midi

    path.mkdir()
    write_midi(list(EXAMPLES) * 4, path / "song.mid")  # one file a score: song_0.mid ...
    return path / "*.mid", {}


INPUTS = {"dna": ("seqs.fa", _dna), "text": ("lines.txt", _text), "smiles": ("mols.smi", _smiles),
          "latex": ("formulas.lst", _latex), "code": ("src", _code), "midi": ("songs", _midi)}


def _files_of(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "info.json"}


def _info_without_timing(folder):
    info = json.loads((folder / "info.json").read_text())
    return {k: v for k, v in info.items() if k not in ("encode_seconds", "stream")}


@pytest.mark.parametrize("domain", list(INPUTS), ids=list(INPUTS))
def test_streamed_cache_equals_the_in_memory_build(tmp_path, domain):
    name, make = INPUTS[domain]
    path, options = make(tmp_path / name)
    data = SequenceDataModule(domain=domain, train=str(path), task="lm", chunk_bytes=500, **options)
    data.prepare()
    streamed = data.cache_folder
    assert data._prepared["stream"]["chunks"]["train"] > 2  # several chunks, not one
    where = data.arrays["train"].where  # read from its file on first use
    assert len(where) == len(data.arrays["train"]) and name in where[0] and name in where[-1]
    reference = tmp_path / "in-memory"
    reference.mkdir()
    data._build_in_memory(data._files(), reference)
    assert _files_of(streamed) == _files_of(reference)
    assert _info_without_timing(streamed) == _info_without_timing(reference)


def test_worker_processes_write_the_same_cache(tmp_path):
    path, options = _text(tmp_path / "lines.txt")
    one = SequenceDataModule(domain="text", train=str(path), task="lm", chunk_bytes=300, **options)
    one.prepare()
    files = _files_of(one.cache_folder)
    for p in one.cache_folder.iterdir():
        p.unlink()
    one.cache_folder.rmdir()
    two = SequenceDataModule(domain="text", train=str(path), task="lm", chunk_bytes=300, num_proc=2, **options)
    two.prepare()
    assert two.cache_folder == one.cache_folder  # num_proc does not change the ids, nor the fingerprint
    assert _files_of(two.cache_folder) == files


def test_a_tiny_chunk_tokenizes_one_record_at_a_time(toy_csv):
    data = SequenceDataModule(domain="toy", train=str(toy_csv), task="lm", chunk_bytes=1)
    info = data.prepare()
    assert info["stream"]["chunks"] == info["counts"] == {"train": 108, "val": 12}


def test_ids_are_memory_mapped_read_only(toy_csv):
    data = SequenceDataModule(domain="toy", train=str(toy_csv), task="lm", max_length=16)
    data.setup()
    ids = data.arrays["train"].ids
    assert isinstance(ids, np.memmap) and not ids.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        ids[0] = 1
    assert data.datasets["train"].ids is ids  # LM blocks read the mapped file, no copy


def test_a_truncated_cache_is_rebuilt(toy_csv, caplog):
    data = SequenceDataModule(domain="toy", train=str(toy_csv), task="lm")
    data.prepare()
    ids_file = cache.ids_path(data.cache_folder, "train")
    assert ids_file.suffix == ".uint16"  # a small vocabulary: two bytes an id
    whole = ids_file.read_bytes()
    ids_file.write_bytes(whole[: len(whole) // 2])
    caplog.set_level(logging.WARNING, logger="polyseq.data")
    again = SequenceDataModule(domain="toy", train=str(toy_csv), task="lm")
    again.prepare()
    assert "is damaged" in caplog.text and "rebuilding it" in caplog.text
    assert ids_file.read_bytes() == whole


def test_bad_records_are_counted_when_streaming(tmp_path, caplog):
    path = write_toy(tmp_path / "bad.csv", n=40, bad_rows=2)
    caplog.set_level(logging.WARNING, logger="polyseq.data")
    info = SequenceDataModule(domain="toy", train=str(path), task="lm").prepare()
    assert "stream" in info and sum(info["counts"].values()) == 40
    assert "2 bad" in caplog.text and "bad.csv:42: empty sequence" in caplog.text
    with pytest.raises(Exception, match="bad.csv:42: empty sequence"):
        SequenceDataModule(domain="toy", train=str(path), task="lm", strict=True).prepare()


@pytest.mark.parametrize("domain", ["smiles", "text"])
def test_each_file_is_read_and_validated_once_whatever_the_passes(tmp_path, monkeypatch, domain):
    """Counting, tokenizer training and encoding replay the spooled records: RDKit validates each molecule once."""
    name, make = INPUTS[domain]
    path, options = make(tmp_path / name)
    reads = []
    original = SequenceDataModule._read

    def counting(self, p, report):
        reads.append(p)
        return original(self, p, report)

    monkeypatch.setattr(SequenceDataModule, "_read", counting)
    data = SequenceDataModule(domain=domain, train=str(path), task="lm", chunk_bytes=500, **options)
    data.prepare()
    assert reads == [path]
    assert not (data.cache_folder / ".spool").exists()
    monkeypatch.setattr(SequenceDataModule, "_read", original)
    reference = tmp_path / "in-memory"
    reference.mkdir()
    data._build_in_memory(data._files(), reference)
    assert _files_of(data.cache_folder) == _files_of(reference)


@pytest.mark.parametrize("fractions", [[0.8, 0.1, 0.1], [0.9, 0.1], [0.5, 0.0, 0.5]])
@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 100, 1001])
def test_streamed_split_marks_are_the_split_of_the_in_memory_build(n, fractions):
    from polyseq.data.splits import CORE_ASSIGNMENTS, CORE_SPLITS

    for name in ("random", "ordered"):
        for seed in (0, 1, 42):
            expected = np.zeros(n, dtype=np.uint8)
            for k, part in enumerate(CORE_SPLITS[name](range(n), fractions, seed)):
                expected[part] = k
            marks = CORE_ASSIGNMENTS[name](n, fractions, seed)
            assert marks.dtype == np.uint8 and marks.tolist() == expected.tolist(), (name, seed)


@pytest.mark.parametrize("n", [0, 1, 5, 1001])
def test_random_split_is_random_shuffle_cut_into_parts(n):
    # the split every published figure used: the indices shuffled by random.Random(seed).shuffle, cut
    # into part_sizes, each part ascending - however it is computed
    from polyseq.data.splits import part_sizes, random_split

    for seed in (0, 1, 42):
        order = list(range(n))
        random.Random(seed).shuffle(order)
        cuts = np.cumsum([0, *part_sizes(n, [0.8, 0.1, 0.1])])
        assert random_split(range(n), [0.8, 0.1, 0.1], seed) == [sorted(order[a:b]) for a, b in zip(cuts, cuts[1:])]


@pytest.mark.parametrize(("n", "k", "seed"), [(0, 3, 0), (1, 1, 0), (7, 3, 1), (7, 7, 2), (7, 50, 3), (1000, 10, 4),
                                              (1000, 999, 5)])
def test_subsample_keeps_k_items_in_order_the_same_on_every_pass(n, k, seed):
    from polyseq.data.splits import Subsample

    items = [f"s{i}" for i in range(n)]
    counted, told = Subsample(items, k, seed), Subsample(items, k, seed, n=n)
    first = list(counted)
    assert len(first) == min(k, n) and len(set(first)) == len(first)
    assert first == sorted(first, key=items.index)  # file order kept
    assert list(counted) == first == list(told)  # every pass, and n counted or given, alike


def test_subsample_draws_each_item_equally_often():
    from polyseq.data.splits import Subsample

    hits = np.zeros(10)
    for seed in range(3000):
        for i in Subsample(range(10), 3, seed):
            hits[i] += 1
    assert np.allclose(hits / 3000, 0.3, atol=0.03)  # 900 +- 90 each (sd ~25)
    assert len({tuple(Subsample(range(10), 3, s)) for s in range(3000)}) == 120  # every 3-subset of 10 occurs
