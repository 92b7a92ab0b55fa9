"""Bad inputs give one-line errors naming the file or option, silent losses become warnings with
counts, and a huge record is refused by its size (issue 16)."""

from __future__ import annotations

import gzip
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from polyseq import get_domain
from polyseq.data import cache
from polyseq.data.module import SequenceDataModule

from .conftest import run_main

TINY = ["--model.d_model", "16", "--model.n_layers", "1", "--model.n_heads", "2", "--trainer.max_steps", "2",
        "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false",
        "--data.max_length", "16", "--data.batch_size", "4"]
DNA = "".join(f">r{i}\n{'ACGTTGCA' * 4}\n" for i in range(20))
RNA = "".join(f">r{i}\n{'ACGUUGCA' * 4}\n" for i in range(20))


def polyseq(*args: str, cwd: Path, env: dict[str, str] | None = None, spawn: bool = False
            ) -> subprocess.CompletedProcess[str]:
    """The command in this process (`run_main`), or as `python -m polyseq` with `spawn=True` (a few
    cases keep the real entry point); the dataset cache in `cwd/cache` unless `env` says otherwise."""
    env = {"POLYSEQ_CACHE": str(cwd / "cache"), **(env or {})}
    if not spawn:
        return run_main(*args, cwd=cwd, env=env)
    environ = {**os.environ, "OMP_NUM_THREADS": "1", **env}
    return subprocess.run([sys.executable, "-m", "polyseq", *args], cwd=cwd, env=environ, capture_output=True,
                          text=True, timeout=300)


def failed_cleanly(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


# ---- one-line errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("domain, name", [("dna", "x.fa"), ("smiles", "x.smi"), ("text", "x.txt"), ("midi", "x.mid"),
                                          ("latex", "x.lst"), ("code", "x.py")],
                         ids=["dna", "smiles", "text", "midi", "latex", "code"])
def test_fit_on_a_missing_training_file_names_it(tmp_path, domain, name):
    missing = tmp_path / "nowhere" / name
    failed_cleanly(polyseq("fit", "--data.domain", domain, "--data.train", str(missing), *TINY, cwd=tmp_path,
                           spawn=domain == "dna"),
                   f"--data.train={missing}: no such file")


def test_an_empty_training_file_is_named_with_no_records(tmp_path):
    empty = tmp_path / "empty.smi"
    empty.write_text("")
    failed_cleanly(polyseq("fit", "--data.domain", "smiles", "--data.train", str(empty), *TINY, cwd=tmp_path),
                   f"{empty}: no records")


def test_a_cache_that_cannot_be_written_is_one_line_naming_polyseq_cache(tmp_path):
    (tmp_path / "data.fa").write_text(DNA)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = polyseq("fit", "--data.domain", "dna", "--data.train", "data.fa", *TINY, cwd=tmp_path,
                     env={"POLYSEQ_CACHE": str(blocker / "cache")}, spawn=True)
    failed_cleanly(result, "POLYSEQ_CACHE", str(blocker))


def test_gzipped_text_is_read_like_other_domains(tmp_path):
    path = tmp_path / "poem.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("Naïve café\nsecond line\n")
    records = list(get_domain("text").read(path, mode="line"))
    assert [r.sample for r in records] == ["Naïve café", "second line"]


@pytest.mark.parametrize("limit", ["0", "-1"], ids=["zero", "negative"])
def test_tokenize_limit_below_one_is_an_error(tmp_path, limit):
    (tmp_path / "data.fa").write_text(DNA)
    result = polyseq("tokenize", "--domain", "dna", "--file", "data.fa", "--limit", limit, cwd=tmp_path)
    failed_cleanly(result, "--limit")
    assert result.stdout == ""


def test_datasets_json_before_info_is_kept(tmp_path):
    result = polyseq("datasets", "--json", "info", "esol", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["name"] == "esol"


# ---- configuration that would be silently ignored --------------------------------------------------


def _module(tmp_path: Path, **options) -> SequenceDataModule:
    if not (tmp_path / "data.fa").exists():  # rewriting it would change the cache fingerprint
        (tmp_path / "data.fa").write_text(DNA)
    return SequenceDataModule(domain="dna", train=str(tmp_path / "data.fa"), max_length=16, **options)


def test_vocab_size_on_a_tokenizer_that_learns_none_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    from polyseq.errors import ConfigError

    with pytest.raises(ConfigError, match=r"--data.vocab_size=100: tokenizer .* does not learn"):
        _module(tmp_path, vocab_size=100).prepare()


def test_an_unknown_augmentation_is_an_error_listing_the_domains(tmp_path):
    from polyseq.errors import ConfigError

    with pytest.raises(ConfigError, match="no augmentation 'bogus'. Available: reverse_complement"):
        _module(tmp_path, task="classify", target="label", augment=["bogus"])


# ---- <unk> is reported --------------------------------------------------------------------------------


def test_fit_warns_when_rna_becomes_unknown_tokens_naming_the_symbol(tmp_path):
    (tmp_path / "rna.fa").write_text(RNA)
    result = polyseq("fit", "--data.domain", "dna", "--data.train", "rna.fa", *TINY, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stderr.splitlines() if "<unk>" in x)
    assert "(25.0%) are <unk>" in line and "'U'" in line


def test_a_cached_fit_repeats_the_unknown_warning(tmp_path):
    (tmp_path / "rna.fa").write_text(RNA)
    polyseq("fit", "--data.domain", "dna", "--data.train", "rna.fa", *TINY, cwd=tmp_path)
    result = polyseq("fit", "--data.domain", "dna", "--data.train", "rna.fa", *TINY, cwd=tmp_path)
    assert "are <unk>; unknown symbols: 'U'" in result.stderr


def test_tokenize_warns_about_unknown_tokens(tmp_path):
    (tmp_path / "rna.fa").write_text(RNA)
    result = polyseq("tokenize", "--domain", "dna", "--file", "rna.fa", cwd=tmp_path)
    assert result.returncode == 0 and "are <unk>; unknown symbols: 'U'" in result.stderr


# ---- the token cache ------------------------------------------------------------------------------------


def test_a_truncated_cache_file_is_rebuilt_with_a_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    first = _module(tmp_path)
    first.prepare()
    ids = cache.ids_path(first.cache_folder, "train")  # uint16 or int32, by vocabulary size
    expected = np.array(first.arrays["train"].ids)
    with open(ids, "r+b") as f:
        f.truncate(ids.stat().st_size // 2)
    second = _module(tmp_path)
    logger = logging.getLogger("polyseq.data")
    logger.addHandler(caplog.handler)  # the CLI's logging setup may stop propagation to the root
    try:
        second.prepare()
    finally:
        logger.removeHandler(caplog.handler)
    assert "damaged" in caplog.text and "rebuilding" in caplog.text
    assert np.array_equal(np.asarray(second.arrays["train"].ids), expected)


def test_a_killed_builds_leftover_folder_is_removed_and_a_running_one_kept(tmp_path):
    import fcntl

    root = tmp_path / "tokens"
    root.mkdir()
    dead = root / ".abc.tmp1234"
    dead.mkdir()
    (dead / ".lock").write_text("")  # its builder died: nobody holds the lock
    old = root / ".old.tmp9"
    old.mkdir()
    os.utime(old, (time.time() - 2 * cache.STALE_UNLOCKED_SECONDS,) * 2)
    young = root / ".young.tmp9"
    young.mkdir()
    alive = root / ".def.tmp5678"
    alive.mkdir()
    fd = os.open(alive / ".lock", os.O_CREAT | os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        code = ("import sys; from pathlib import Path; from polyseq.data import cache;"
                "print(sorted(p.name for p in cache.clean_stale(Path(sys.argv[1]))))")
        out = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True)
    finally:
        os.close(fd)
    assert out.stdout.strip() == str(sorted([".abc.tmp1234", ".old.tmp9"]))
    assert alive.exists() and young.exists() and not dead.exists() and not old.exists()


# ---- huge records -------------------------------------------------------------------------------------------


def test_a_record_over_the_size_limit_is_a_bad_record_naming_size_and_limit(tmp_path, monkeypatch):
    from polyseq.records import ReadReport

    path = tmp_path / "big.fa"
    path.write_text(">big\n" + "A" * 2000 + "\n>small\nACGT\n")
    report = ReadReport()
    records = list(get_domain("dna").read(path, report=report, max_bytes=1000))
    assert [r.sample for r in records] == ["ACGT"]
    assert "record of 2,000 bytes is longer than the limit of 1,000 bytes" in report.bad[0].reason
    monkeypatch.setenv("POLYSEQ_MAX_RECORD_BYTES", "1000")
    assert len(list(get_domain("dna").read(path, report=ReadReport()))) == 1
    monkeypatch.setenv("POLYSEQ_MAX_RECORD_BYTES", "0")
    assert len(list(get_domain("dna").read(path, report=ReadReport()))) == 2


def test_tokenize_refuses_a_huge_single_line_smiles_by_its_size(tmp_path):
    (tmp_path / "big.smi").write_text("CCO" * 400 + "\n")
    result = polyseq("tokenize", "--domain", "smiles", "--file", "big.smi", "--max-record-bytes", "1000", cwd=tmp_path)
    failed_cleanly(result, "big.smi:1", "1,200 bytes", "limit of 1,000 bytes")


# ---- generate options ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dna_lm(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("lm")
    (folder / "data.fa").write_text(DNA)
    result = polyseq("fit", "--data.domain", "dna", "--data.train", "data.fa", *TINY, cwd=folder)
    assert result.returncode == 0, result.stderr
    return next(folder.rglob("last.ckpt"))


@pytest.mark.parametrize("value", ["nan", "inf", "-1"], ids=["nan", "inf", "negative"])
def test_generate_rejects_a_temperature_that_is_not_a_finite_number(dna_lm, tmp_path, value):
    result = polyseq("generate", "--ckpt", str(dna_lm), "-n", "2", "--max-new-tokens", "4", "--temperature", value,
                     "--out", "s.fa", cwd=tmp_path)
    failed_cleanly(result, "--temperature", value)


def test_generate_names_prompt_symbols_outside_the_vocabulary(dna_lm, tmp_path):
    result = polyseq("generate", "--ckpt", str(dna_lm), "-n", "2", "--max-new-tokens", "4", "--prompt", "ACGU",
                     "--out", "s.fa", cwd=tmp_path)
    failed_cleanly(result, "--prompt 'ACGU'", "'U'", "not in the checkpoint's vocabulary")


@pytest.mark.parametrize(("flag", "value", "named"), [("--trainer.max_steps", "-5", "max_steps"),
                                                       ("--model.lr", "-1", "--model.lr"),
                                                       ("--model.warmup_steps", "-3", "--model.warmup_steps"),
                                                       ("--model.adam_beta2", "1.0", "--model.adam_beta2=1.0")],
                         ids=["max_steps", "lr", "warmup", "beta2"])
def test_out_of_range_training_settings_are_one_line(tmp_path, flag, value, named):
    (tmp_path / "data.fa").write_text(DNA)
    result = polyseq("fit", "--data.domain", "dna", "--data.train", "data.fa", *TINY, flag, value, cwd=tmp_path)
    failed_cleanly(result, named)
