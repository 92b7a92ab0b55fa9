"""DataInfo: typed and frozen, plain values in checkpoints, and the untyped dicts of polyseq 0.1 still read."""

from pathlib import Path

import pytest
import torch

from polyseq.data.info import FORMAT_VERSION, DataInfo
from polyseq.errors import PolyseqError
from polyseq.training.module import load_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "v0_checkpoints"


def test_round_trip_through_plain_values():
    info = DataInfo(task="classify", vocab_size=12, domain="dna", tokenizer={"type": "dna.kmer", "k": 3},
                    labels=("EI", "IE", "N"), max_length=64, tokens_per_byte=0.33)
    plain = info.to_dict()
    assert plain["format_version"] == FORMAT_VERSION and plain["labels"] == ["EI", "IE", "N"]
    assert DataInfo.from_dict(plain) == info
    with pytest.raises(AttributeError):
        info.labels = ("x",)  # frozen


def test_version_1_dicts_are_read_and_unknown_versions_named():
    v1 = {"domain": "dna", "task": "classify", "vocab_size": 9, "tokenizer": {"type": "char"},
          "label_names": ["a", "b"], "tokens_per_byte": 1.0, "max_length": 32}
    assert DataInfo.from_dict(v1).labels == ("a", "b")
    with pytest.raises(PolyseqError, match="format_version 9 .* upgrade polyseq"):
        DataInfo.from_dict({**v1, "format_version": 9}, source="x.ckpt")
    with pytest.raises(PolyseqError, match="unknown field"):
        DataInfo.from_dict({**v1, "colour": "red"})
    with pytest.raises(PolyseqError, match="lacks task"):
        DataInfo.from_dict({"vocab_size": 3})


@pytest.mark.parametrize("task", ["classify", "regress", "lm"])
def test_checkpoints_written_before_tasks_were_plugins_load(task):
    raw = torch.load(FIXTURES / f"dna_{task}.ckpt", weights_only=True)
    assert "format_version" not in raw["hyper_parameters"]["data_info"]  # really the old format
    model = load_model(str(FIXTURES / f"dna_{task}.ckpt"))
    assert model.info.task == task and model.task.name == task
    assert model.hparams["data_info"]["format_version"] == FORMAT_VERSION  # saved again in today's form
    if task == "classify":
        assert model.info.labels == ("motif", "plain")
