"""Checkpoints, export folders and tokenizer files a user gets wrong, or that an attacker crafts: every
one is refused in one line naming the flag and the file, never a traceback, and never unpickled with
code in it (polyseq reads checkpoints with weights_only=True and refuses URLs).

The commands run in this process (`run_main`); the code-running checkpoint given to `fit --ckpt_path`
and to `predict` also goes through `python -m polyseq` (`run_cli`), so the real entry point is covered.
The checkpoint and export folder are built once per module; each case damages its own copy."""

from __future__ import annotations

import json
import pathlib
import shutil
import struct
import zipfile
from pathlib import Path

import pytest
import torch

from .conftest import TINY, assert_one_line_error, run_cli, run_main

V0 = Path(__file__).parents[1] / "fixtures" / "v0_checkpoints"
DATA = ["--data.domain", "dna", "--data.target", "label", "--data.task", "classify", "--data.batch_size", "8"]
MODEL = TINY[:6]


class Marker:
    """Unpickling this writes a file: the proof that a checkpoint's pickle ran code."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (pathlib.Path.write_text, (pathlib.Path(self.path), "unpickled"))


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A folder with labelled DNA rows and one tiny classifier checkpoint (`clf.ckpt`)."""
    folder = tmp_path_factory.mktemp("ckpts")
    rows = [("ACGTACGTAAAA", "a"), ("TTTTGGGGCCCC", "b")] * 10
    (folder / "train.csv").write_text("sequence,label\n" + "".join(f"{s},{y}\n" for s, y in rows))
    result = run_main("fit", *DATA, "--data.train", "train.csv", *TINY, cwd=folder)
    assert result.returncode == 0, result.stderr
    shutil.copy(next((folder / "runs").rglob("last.ckpt")), folder / "clf.ckpt")
    return folder


def edited(work: Path, name: str, edit) -> Path:
    """A copy of clf.ckpt with `edit(checkpoint dict)` applied, saved as `name`."""
    ckpt = torch.load(work / "clf.ckpt", weights_only=True)
    edit(ckpt)
    torch.save(ckpt, work / name)
    return work / name


@pytest.fixture
def evil(work) -> tuple[Path, Path]:
    marker = work / "MARKER"
    marker.unlink(missing_ok=True)
    path = edited(work, "evil.ckpt", lambda c: c["hyper_parameters"].update(x=Marker(marker)))
    return path, marker


# ---- 1. security ---------------------------------------------------------------------------------

LOCAL_LOADS = {
    "fit": lambda p: ["fit", *DATA, "--data.train", "train.csv", *TINY, "--ckpt_path", p],
    "validate": lambda p: ["validate", *DATA, "--data.train", "train.csv", *MODEL, "--ckpt_path", p],
    "test": lambda p: ["test", *DATA, "--data.train", "train.csv", "--data.test", "train.csv", *MODEL, "--ckpt_path", p],
    "predict": lambda p: ["predict", "--ckpt", p, "--input", "train.csv", "--out", "o.csv"],
    "generate": lambda p: ["generate", "--ckpt", p, "-n", "1", "--out", "o.fa"],
    "embed": lambda p: ["embed", "--ckpt", p, "--input", "train.csv", "--out", "o.npy"],
    "export": lambda p: ["export", "--ckpt", p, "--out", "exported"],
    "init_from": lambda p: ["fit", *DATA, "--data.train", "train.csv", *TINY, "--model.init_from", p],
}
#: the commands whose code-running checkpoint case runs as a user runs it, in a new process
SUBPROCESS = ("fit", "predict")
FLAGS = {"fit": "--ckpt_path", "validate": "--ckpt_path", "test": "--ckpt_path", "init_from": "--model.init_from"}


@pytest.mark.parametrize("command", list(LOCAL_LOADS), ids=list(LOCAL_LOADS))
def test_a_checkpoint_whose_pickle_runs_code_is_refused_unread(command, work, evil):
    path, marker = evil
    run = run_cli if command in SUBPROCESS else run_main
    result = run(*LOCAL_LOADS[command](path.name), cwd=work)
    stderr = assert_one_line_error(result, FLAGS.get(command, "--ckpt"), "evil.ckpt", "weights_only=True")
    assert not marker.exists()
    assert len([line for line in stderr.splitlines() if "error:" in line]) == 1


@pytest.mark.parametrize("command", ["fit", "validate", "predict", "generate", "embed", "export", "init_from"])
def test_a_remote_checkpoint_is_refused_without_a_download(command, work):
    url = "http://127.0.0.1:9/model.ckpt"  # the discard port: a download attempt would fail, not hang
    result = run_main(*LOCAL_LOADS[command](url), cwd=work)
    assert_one_line_error(result, FLAGS.get(command, "--ckpt"), url, "remote checkpoints are refused")


def test_weights_only_false_is_refused_and_the_trainer_loads_with_weights_only_true(work):
    result = run_main("validate", *DATA, "--data.train", "train.csv", *MODEL, "--ckpt_path", "clf.ckpt",
                      "--weights_only", "false", cwd=work)
    assert_one_line_error(result, "--weights_only=false is refused")
    from polyseq.training.cli import safe_checkpoint

    config = {"ckpt_path": str(work / "clf.ckpt"), "weights_only": None}
    safe_checkpoint(config)
    assert config["weights_only"] is True


# ---- 2. damaged or wrong checkpoints: one line, no traceback ----------------------------------------

def _damaged(work: Path, kind: str) -> Path:
    data = (work / "clf.ckpt").read_bytes()
    path = work / f"{kind}.ckpt"
    if kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "random":
        path.write_bytes(bytes(range(256)) * 40)
    elif kind == "crc":
        path.write_bytes(_flip_tensor_bytes(work / "clf.ckpt"))
    return path


def _flip_tensor_bytes(path: Path) -> bytes:
    """The checkpoint with 8 bytes of its largest tensor record inverted: the zip's CRC no longer matches."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = max((i for i in archive.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    data[start : start + 8] = bytes(b ^ 0xFF for b in data[start : start + 8])
    return bytes(data)


DAMAGE = {"truncated": "truncated", "random": "not a complete checkpoint", "missing": "no such file", "crc": "CRC"}


@pytest.mark.parametrize("kind", list(DAMAGE), ids=list(DAMAGE))
@pytest.mark.parametrize("command", ["validate", "predict", "init_from"])  # fit and test share validate's check
def test_a_damaged_or_missing_checkpoint_is_one_line(command, kind, work):
    path = _damaged(work, kind)
    result = run_main(*LOCAL_LOADS[command](path.name), cwd=work)
    assert_one_line_error(result, FLAGS.get(command, "--ckpt"), path.name, DAMAGE[kind])


def test_a_corrupted_tensor_is_detected_by_its_crc(work):
    """torch.load alone reads the flipped bytes as weights; polyseq checks the zip's CRCs first."""
    from polyseq.errors import PolyseqError
    from polyseq.training.pretrained import read_checkpoint

    path = _damaged(work, "crc")
    torch.load(path, weights_only=True)  # loads silently: the reason for the check
    with pytest.raises(PolyseqError, match="crc.ckpt: damaged: record .* fails its CRC check"):
        read_checkpoint(path, "--ckpt")


WRONG = {
    "hparams_mismatch": (lambda c: c["hyper_parameters"].update(d_model=32), "weights do not fit its hyper-parameters"),
    "no_labels": (lambda c: c["hyper_parameters"]["data_info"].pop("labels"), "clf-no_labels.ckpt"),
    "no_state_dict": (lambda c: c.pop("state_dict"), "has no state_dict"),
    "no_data_info": (lambda c: c["hyper_parameters"].pop("data_info"), "not a polyseq checkpoint"),
}


@pytest.mark.parametrize("kind", list(WRONG), ids=list(WRONG))
@pytest.mark.parametrize("command", ["predict", "validate"])
def test_a_checkpoint_whose_contents_do_not_fit_is_one_line(command, kind, work):
    edit, expected = WRONG[kind]
    path = edited(work, f"clf-{kind}.ckpt", edit)
    result = run_main(*LOCAL_LOADS[command](path.name), cwd=work)
    assert_one_line_error(result, FLAGS.get(command, "--ckpt"), path.name, expected)


def test_an_lm_checkpoint_given_to_predict_points_at_generate(work):
    result = run_main("predict", "--ckpt", V0 / "dna_lm.ckpt", "--input", "train.csv", "--out", "o.csv", cwd=work)
    assert_one_line_error(result, "polyseq generate")


def test_a_classifier_fine_tuned_into_an_lm_trains(work):
    (work / "lm.fa").write_text("".join(f">r{i}\nACGTACGTTTTTGGGGCCCCAAAA\n" for i in range(20)))
    result = run_main("fit", "--data.domain", "dna", "--data.train", "lm.fa", "--data.max_length", "16", *TINY,
                      "--model.init_from", "clf.ckpt", cwd=work)
    assert result.returncode == 0, result.stderr
    assert "polyseq generate --ckpt" in result.stdout


# ---- export folders ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exported(work) -> Path:
    result = run_main("export", "--ckpt", "clf.ckpt", "--out", "export", cwd=work)
    assert result.returncode == 0, result.stderr
    return work / "export"


def _broken_export(exported: Path, kind: str) -> Path:
    folder = exported.parent / f"export-{kind}"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(exported, folder)
    if kind == "truncated_weights":
        data = (folder / "model.safetensors").read_bytes()
        (folder / "model.safetensors").write_bytes(data[: len(data) // 2])
    elif kind == "invalid_config":
        (folder / "config.json").write_text('{"format": "polyseq-model", ')
    elif kind == "incomplete_config":
        (folder / "config.json").write_text(json.dumps({"format": "polyseq-model", "format_version": 1}))
    elif kind == "wrong_shapes":
        config = json.loads((folder / "config.json").read_text())
        config["hparams"]["d_model"] = 32
        (folder / "config.json").write_text(json.dumps(config))
    return folder


EXPORT_DAMAGE = {"truncated_weights": "model.safetensors cannot be read", "invalid_config": "not valid JSON",
                 "incomplete_config": "incomplete", "wrong_shapes": "weights do not fit"}


@pytest.mark.parametrize("kind", list(EXPORT_DAMAGE), ids=list(EXPORT_DAMAGE))
@pytest.mark.parametrize("command", ["predict", "init_from"])
def test_a_damaged_export_folder_is_one_line(command, kind, exported):
    folder = _broken_export(exported, kind)
    result = run_main(*LOCAL_LOADS[command](folder.name), cwd=exported.parent)
    assert_one_line_error(result, FLAGS.get(command, "--ckpt"), folder.name, EXPORT_DAMAGE[kind])


def test_an_intact_export_still_predicts_as_its_checkpoint(work, exported):
    for source, out in (("clf.ckpt", "a.csv"), ("export", "b.csv")):
        result = run_main("predict", "--ckpt", source, "--input", "train.csv", "-r", "target=label", "--out", out,
                          "--trainer.enable_progress_bar", "false", cwd=work)
        assert result.returncode == 0, result.stderr
    assert (work / "a.csv").read_text() == (work / "b.csv").read_text()


# ---- tokenizer files ----------------------------------------------------------------------------------

def test_a_missing_tokenizer_file_is_one_line(work):
    result = run_main("fit", *DATA, "--data.train", "train.csv", *TINY, "--data.tokenizer_file", "nope.json", cwd=work)
    assert_one_line_error(result, "--data.tokenizer_file", "nope.json", "no such tokenizer file")


def _smiles_tokenizer() -> dict:
    from polyseq import get_domain
    from polyseq.tokenizers.serialization import tokenizer_to_dict

    tokenizer = get_domain("smiles").make_tokenizer(get_domain("smiles").default_tokenizer)
    if getattr(tokenizer, "trainable", False) and not getattr(tokenizer, "is_trained", True):
        tokenizer.train(["CCO", "c1ccccc1", "CC(=O)O"])
    return tokenizer_to_dict(tokenizer)


def test_a_tokenizer_file_of_another_domain_is_refused_naming_both(work):
    (work / "smiles.json").write_text(json.dumps(_smiles_tokenizer()))
    result = run_main("fit", *DATA, "--data.train", "train.csv", *TINY, "--data.tokenizer_file", "smiles.json", cwd=work)
    assert_one_line_error(result, "--data.tokenizer_file smiles.json", "'smiles'", "'dna'")


@pytest.mark.parametrize("tokenizer", ["domain_tokenizer", "core_tokenizer"])
def test_init_from_a_model_of_another_domain_is_refused_naming_both(tokenizer, work):
    def to_smiles(ckpt):
        info = ckpt["hyper_parameters"]["data_info"]
        info["domain"] = "smiles"
        if tokenizer == "domain_tokenizer":
            info["tokenizer"] = _smiles_tokenizer()
        else:  # a core tokenizer saved before tokenizers recorded their domain: the model's domain is used
            from polyseq import CharTokenizer
            from polyseq.tokenizers.serialization import tokenizer_to_dict

            char = CharTokenizer()
            char.train(["CCO", "c1ccccc1"])
            info["tokenizer"] = tokenizer_to_dict(char)

    path = edited(work, f"smiles-{tokenizer}.ckpt", to_smiles)
    result = run_main(*LOCAL_LOADS["init_from"](path.name), cwd=work)
    assert_one_line_error(result, f"--model.init_from {path.name}", "'smiles'", "'dna'")


def test_a_tokenizer_file_records_its_domain_and_a_missing_option_is_an_error(tmp_path):
    from polyseq import get_domain
    from polyseq.errors import TokenizerFormatError
    from polyseq.tokenizers.serialization import config_digest, load_tokenizer, save_tokenizer, tokenizer_domain

    tokenizer = get_domain("dna").make_tokenizer("kmer", k=3)
    save_tokenizer(tokenizer, tmp_path / "kmer.json", domain="dna")
    data = json.loads((tmp_path / "kmer.json").read_text())
    assert tokenizer_domain(data) == "dna" and data["complete"] is True
    option = next(iter(data["config"]))
    del data["config"][option]
    data["sha256"] = config_digest(data["config"])
    (tmp_path / "cut.json").write_text(json.dumps(data))
    with pytest.raises(TokenizerFormatError, match=f"cut.json: option\\(s\\) .*{option}.* missing"):
        load_tokenizer(tmp_path / "cut.json")
    before = {k: v for k, v in json.loads((tmp_path / "kmer.json").read_text()).items() if k not in ("domain", "complete")}
    (tmp_path / "before.json").write_text(json.dumps(before))  # a file written before: loads as it always did
    assert load_tokenizer(tmp_path / "before.json").to_config() == tokenizer.to_config()


def test_every_saved_tokenizer_records_its_domain_and_tokenize_checks_it(work, tmp_path):
    from polyseq.tokenizers.serialization import tokenizer_domain

    info = torch.load(work / "clf.ckpt", weights_only=True)["hyper_parameters"]["data_info"]
    assert tokenizer_domain(info["tokenizer"]) == "dna"  # what fit wrote into the checkpoint
    out = tmp_path / "exported"
    assert run_main("export", "--ckpt", work / "clf.ckpt", "--out", out, cwd=work).returncode == 0
    assert json.loads((out / "tokenizer.json").read_text())["domain"] == "dna"
    saved = run_main("tokenize", "--domain", "text", "--tokenizer", "char", "hello there", "--save-tokenizer",
                     "char.json", cwd=tmp_path)  # a core tokenizer: only the file can say its domain
    assert saved.returncode == 0 and json.loads((tmp_path / "char.json").read_text())["domain"] == "text"
    result = run_main("tokenize", "--domain", "dna", "--tokenizer-file", out / "tokenizer.json", "ACGT", cwd=tmp_path)
    assert result.returncode == 0 and "A C G T" in result.stdout.replace("  ", " ")
    result = run_main("tokenize", "--domain", "dna", "--tokenizer-file", "char.json", "ACGT", cwd=tmp_path)
    assert_one_line_error(result, "--tokenizer-file char.json", "'text'", "'dna'")
