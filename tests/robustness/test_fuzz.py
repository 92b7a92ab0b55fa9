"""A fuzz corpus per domain through the CLI: empty, binary, bad encoding, truncated, huge record,
mixed good and bad records, wrong columns and non-finite targets (issue 16).

Every case runs `polyseq` in this process (`run_main`: an uncaught exception fails the test, as a
traceback would) and asserts what a user sees: a non-zero exit with one line naming the file, or
the good records all kept and the bad ones counted with their file:line.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import assert_one_line_error, run_main


def lines(records: list[bytes]) -> bytes:
    return b"".join(r + b"\n" for r in records)


def fasta(records: list[bytes]) -> bytes:
    return b"".join(b">r%d\n%s\n" % (i, r) for i, r in enumerate(records))


def code_jsonl(records: list[bytes]) -> bytes:
    # the code goes in as raw bytes so that a bad byte stays a bad byte inside the JSON line
    return b"".join(b'{"code": "%s", "language": "python"}\n' % r for r in records)


@dataclass(frozen=True)
class Format:
    """One file format of one domain: good records, how a file is written, where record i starts."""

    domain: str
    suffix: str
    good: tuple[bytes, ...]
    write: Callable[[list[bytes]], bytes]
    lines_per_record: int = 1
    options: tuple[str, ...] = ()
    joiner: bytes = b" "  # joins good records into one longer valid record

    def line(self, i: int) -> int:
        return 1 + i * self.lines_per_record

    def __str__(self) -> str:
        return f"{self.domain}{self.suffix}"


FORMATS = [
    Format("text", ".txt", (b"the cat sat on the mat", b"a dog ran home", b"birds sing at dawn", b"rain again"),
           lines, options=("--tokenizer", "char", "-r", "mode=line")),  # .txt is one document by default
    Format("dna", ".fa", (b"ACGTACGTTG", b"GGGCCCAATT", b"TTAACCGGTA", b"ACACACGTGT"), fasta, 2),
    Format("smiles", ".smi", (b"CCO", b"c1ccccc1", b"CC(=O)O", b"CCN"), lines, joiner=b""),  # a space starts the name
    Format("latex", ".lst", (rb"x^2 + y^2", rb"\frac{a}{b}", rb"\sqrt{x+1}", rb"e^{i\pi}"), lines),
    Format("code", ".jsonl", (b"x = 1", b"def f(a):\\n    return a", b"print(42)", b"import os"), code_jsonl),
]
IDS = [str(f) for f in FORMATS]

BAD_BYTES = b"caf\xe9 \xff\xfe"  # Latin-1, not UTF-8


def tokenize(fmt: Format, path: Path, cwd: Path, env: dict[str, str] | None = None):
    return run_main("tokenize", "--domain", fmt.domain, *fmt.options, "--file", path.name, "--json", cwd=cwd, env=env)


def kept(result) -> list[str]:
    """The `source` (file:line) of every record `tokenize --json` printed."""
    assert "Traceback" not in result.stderr, result.stderr
    return [json.loads(line)["source"] for line in result.stdout.splitlines() if line.startswith("{")]


def good_and_bad(fmt: Format, tmp_path: Path, records: list[bytes], bad: set[int], env=None) -> str:
    """Write `records` (indices in `bad` are bad), tokenize: every good one kept, every bad one named."""
    path = tmp_path / f"mixed{fmt.suffix}"
    path.write_bytes(fmt.write(records))
    result = tokenize(fmt, path, tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert kept(result) == [f"{path.name}:{fmt.line(i)}" for i in range(len(records)) if i not in bad]
    assert f"{len(records) - len(bad)} records read from 1 file(s), {len(bad)} bad" in result.stderr
    for i in bad:
        assert f"{path.name}:{fmt.line(i)}" in result.stderr, result.stderr
    return result.stderr


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_an_empty_file_is_an_error_naming_it(fmt, tmp_path):
    path = tmp_path / f"empty{fmt.suffix}"
    path.write_bytes(b"")
    stderr = assert_one_line_error(tokenize(fmt, path, tmp_path), path.name)
    assert re.search(r"no (\w+ )?records", stderr), stderr


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_a_binary_file_is_refused_naming_it(fmt, tmp_path):
    path = tmp_path / f"binary{fmt.suffix}"
    path.write_bytes(bytes(range(128, 256)) * 8 + b"\x00\x01\x02" * 50)
    result = tokenize(fmt, path, tmp_path)
    assert kept(result) == []
    assert_one_line_error(result, path.name)


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_a_record_with_bad_encoding_is_counted_and_the_others_kept(fmt, tmp_path):
    records = list(fmt.good)
    records[1] = BAD_BYTES
    assert "UTF-8" in good_and_bad(fmt, tmp_path, records, {1})


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_mixed_good_and_bad_records_keep_every_good_one(fmt, tmp_path):
    records = [fmt.good[0], BAD_BYTES, fmt.good[1], fmt.good[2], b"\xc3\x28", fmt.good[3]]
    good_and_bad(fmt, tmp_path, records, {1, 4})


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_a_record_over_the_size_limit_is_counted_naming_its_size(fmt, tmp_path):
    records = list(fmt.good)
    records[2] = fmt.joiner.join([fmt.good[0]] * (300 // len(fmt.good[0]) + 1))  # valid, but > 300 bytes
    stderr = good_and_bad(fmt, tmp_path, records, {2}, env={"POLYSEQ_MAX_RECORD_BYTES": "300"})
    assert "limit of 300 bytes" in stderr


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_a_truncated_gzip_file_keeps_the_records_before_the_cut(fmt, tmp_path):
    packed = gzip.compress(fmt.write(list(fmt.good) * 2000))
    path = tmp_path / f"cut{fmt.suffix}.gz"
    path.write_bytes(packed[: len(packed) // 2])
    result = tokenize(fmt, path, tmp_path)
    sources = kept(result)
    # every record up to the last whole line the decompressor gave out is kept, in order
    assert sources == [f"{path.name}:{fmt.line(i)}" for i in range(len(sources))]
    assert f"{len(sources)} records read from 1 file(s), 1 bad" in result.stderr
    assert re.search(rf"{path.name}:\d+: the compressed file ends early .*nothing after line \d+", result.stderr)
    assert result.returncode == (0 if sources else 1), result.stderr


def test_a_truncated_midi_file_is_a_bad_record_naming_it(tmp_path):
    import mido

    song = mido.MidiFile(ticks_per_beat=96)
    track = mido.MidiTrack()
    for pitch in range(60, 72):
        track += [mido.Message("note_on", note=pitch, velocity=64, time=0),
                  mido.Message("note_off", note=pitch, velocity=0, time=96)]
    song.tracks.append(track)
    whole = tmp_path / "whole.mid"
    song.save(whole)
    cut = tmp_path / "cut.mid"
    cut.write_bytes(whole.read_bytes()[:40])
    assert kept(run_main("tokenize", "--domain", "midi", "--file", whole.name, "--json", cwd=tmp_path)) == ["whole.mid[0]"]
    assert_one_line_error(run_main("tokenize", "--domain", "midi", "--file", cut.name, "--json", cwd=tmp_path),
                          "cut.mid", "not a readable MIDI file")


def test_a_source_tree_keeps_its_good_files_and_names_the_bad_one(tmp_path):
    tree = tmp_path / "src"
    tree.mkdir()
    (tree / "a.py").write_text("x = 1\n")
    (tree / "b.py").write_bytes(b"y = '" + BAD_BYTES + b"'\n")
    (tree / "c.rs").write_text("fn main() {}\n")
    result = run_main("tokenize", "--domain", "code", "--file", tree, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(Path(s).name for s in kept(result)) == ["a.py:1", "c.rs:1"]
    assert "2 records read from 1 file(s), 1 bad" in result.stderr and "b.py" in result.stderr


# ---- tables: wrong columns, non-finite and non-numeric targets ------------------------------------

TABLES = [("text", "text", "the cat sat"), ("dna", "sequence", "ACGTACGT"), ("smiles", "smiles", "CCO")]
TINY = ["--model.d_model", "16", "--model.n_layers", "1", "--model.n_heads", "2", "--trainer.max_steps", "1",
        "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false",
        "--data.max_length", "16", "--data.batch_size", "4"]


@pytest.mark.parametrize(("domain", "column", "sample"), TABLES, ids=[t[0] for t in TABLES])
def test_a_missing_sample_column_lists_the_columns_present(domain, column, sample, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text(f"name,value\n{sample},1\n")
    result = run_main("tokenize", "--domain", domain, "--file", path, "-r", f"column={column}", cwd=tmp_path)
    assert_one_line_error(result, "wrong.csv", "name, value")


@pytest.mark.parametrize(("domain", "column", "sample"), TABLES, ids=[t[0] for t in TABLES])
def test_fit_on_a_missing_target_column_lists_the_columns_present(domain, column, sample, tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(f"{column},label\n" + "".join(f"{sample},{i % 2}\n" for i in range(12)))
    result = run_main("fit", "--data.domain", domain, "--data.train", path, "--data.task", "classify",
                      "--data.target", "y", *TINY, cwd=tmp_path)
    assert_one_line_error(result, "data.csv", "'y'", "label")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "seven"])
@pytest.mark.parametrize(("domain", "column", "sample"), TABLES, ids=[t[0] for t in TABLES])
def test_fit_refuses_a_target_that_is_not_a_finite_number_naming_its_record(domain, column, sample, value, tmp_path):
    path = tmp_path / "data.csv"
    rows = [f"{sample},{i / 10}" for i in range(12)]
    rows[5] = f"{sample},{value}"
    path.write_text(f"{column},y\n" + "\n".join(rows) + "\n")
    result = run_main("fit", "--data.domain", domain, "--data.train", path, "--data.task", "regress",
                      "--data.target", "y", *TINY, cwd=tmp_path)
    assert_one_line_error(result, "data.csv:7", value)
    assert not list(tmp_path.rglob("*.ckpt"))  # nothing trained on it
