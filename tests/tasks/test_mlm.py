"""The mlm task reads every token of a record longer than max_length, in consecutive pieces."""

import logging

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyseq.data.cache import TokenArrays
from polyseq.data.module import SequenceDataModule
from polyseq.tasks.mlm import MaskedLanguageModel, RecordPieces


def test_pieces_cover_every_token_once_in_order():
    seqs = [list(range(10, 160)), [], list(range(7, 12)), list(range(20, 84))]  # 150, 0, 5 and 64 ids
    arrays = TokenArrays.from_sequences(seqs, None, ["x"] * len(seqs), 0)
    pieces = RecordPieces(arrays, 64)
    assert len(pieces) == 3 + 1 + 1 + 1
    assert pieces.lengths().tolist() == [64, 64, 22, 0, 5, 64]
    items = [pieces[k] for k in range(len(pieces))]
    for record, seq in enumerate(seqs):
        joined = [i for item in items if item["index"] == record for i in item["input_ids"].tolist()]
        assert joined == seq
    with pytest.raises(IndexError):
        pieces[len(pieces)]


@settings(max_examples=60, deadline=None)
@given(lengths=st.lists(st.integers(0, 200) | st.integers(0, 8), max_size=40), max_length=st.integers(1, 70))
def test_pieces_are_each_record_cut_into_runs_of_max_length(lengths, max_length):
    seqs = [list(range(100 * r, 100 * r + n)) for r, n in enumerate(lengths)]
    arrays = TokenArrays.from_sequences(seqs, None, ["x"] * len(seqs), 0)
    expected = [(r, seq[a : a + max_length]) for r, seq in enumerate(seqs)
                for a in (range(0, len(seq), max_length) if seq else [0])]
    pieces = RecordPieces(arrays, max_length)
    got = [(pieces[k]["index"], pieces[k]["input_ids"].tolist()) for k in range(len(pieces))]
    assert got == expected
    assert pieces.lengths().tolist() == [len(ids) for _, ids in expected]
    assert (pieces.first is None) == all(n <= max_length for n in lengths)  # no index when one piece a record


def test_a_genome_window_longer_than_max_length_is_learnt_whole(tmp_path, monkeypatch):
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    for split, n in (("train", 1000), ("val", 200)):
        (tmp_path / f"{split}.fa").write_text(f">{split}\n" + "".join(rng.choice(list("ACGT"), n)) + "\n")
    data = SequenceDataModule(domain="dna", train=str(tmp_path / "train.fa"), val=str(tmp_path / "val.fa"),
                              task="mlm", tokenizer="nucleotide", max_length=64, batch_size=8)
    data.setup()
    train = data.datasets["train"]
    assert len(train) == 16 and int(train.lengths().sum()) == 1000  # 15 x 64 + 40, not the first 64 only
    batch = next(iter(data.train_dataloader()))
    assert batch["input_ids"].shape[1] <= 64


def test_augmented_records_are_truncated_with_a_warning(caplog):
    seqs = [list(range(10, 110)), list(range(10, 20))]
    arrays = TokenArrays.from_sequences(seqs, None, ["x", "y"], 0)

    class Info:
        max_length = 64

    with caplog.at_level(logging.WARNING, logger="polyseq.tasks.mlm"):
        dataset = MaskedLanguageModel().dataset(arrays, Info(), encode=lambda i: seqs[i])
    assert len(dataset) == 2 and len(dataset[0]["input_ids"]) == 64
    assert "1 of 2 training records are longer than --data.max_length=64" in caplog.text
