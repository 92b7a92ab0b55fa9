"""`polyseq tokenize --file` streams: each record is printed as it is read, not after the whole
input, and a learned tokenizer trains on a first pass before the records stream on the next.

A test domain reads one record per line and logs every read in `events`; stdout is replaced by a
tape that logs every write in the same list, so the order of reads and prints is what is checked.
"""

import contextlib
import io
import tempfile

import pytest

from polyseq import BadRecord, Domain, Record, hookimpl, plugins
from polyseq.cli import main


class Tape(io.StringIO):
    """stdout that logs each write as ("out", text) in `events`."""

    def __init__(self, events):
        super().__init__()
        self.events = events

    def write(self, text):
        self.events.append(("out", text))
        return super().write(text)


@pytest.fixture
def events():
    return []


@pytest.fixture
def domain(events):
    def read_lines(path):
        """One record per line, letters only (anything else is a bad record); each read is logged."""
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                events.append(("read", i))
                text, meta = line.strip(), {"source": str(path), "line": i}
                yield Record(text, meta=meta) if text.isalpha() else BadRecord("not letters", meta)

    def write_lines(samples, path):
        with open(path, "w", encoding="utf-8") as f:
            for sample in samples:
                events.append(("write", sample))
                f.write(sample + "\n")
        return [path]

    class Plugin:
        @hookimpl
        def register_domains(self, register):
            register(Domain(name="lines_mini", description="letters, one record per line (streaming tests)",
                            tokenizers={"char": "polyseq.tokenizers.char:CharTokenizer",
                                        "bytes": "polyseq.tokenizers.bytes:ByteTokenizer"},
                            default_tokenizer="bytes", readers={".lines": read_lines}, writer=write_lines))

    name = plugins.register(Plugin(), name="lines-mini-tests")
    yield "lines_mini"
    plugins.unregister(name)


@pytest.fixture
def tape(events):
    return Tape(events)


def tokenize(tape, *argv):
    """`polyseq tokenize ARGV` with stdout on the tape (set here: pytest resets sys.stdout after fixtures)."""
    with contextlib.redirect_stdout(tape):
        return main(["tokenize", *argv])


def lines_file(tmp_path, n, bad=()):
    path = tmp_path / "in.lines"
    path.write_text("".join(("x1" if i in bad else "ab" * (1 + i % 5)) + "\n" for i in range(1, n + 1)))
    return path


def first_index(events, predicate):
    return next(k for k, e in enumerate(events) if predicate(e))


def test_a_record_is_printed_before_the_reader_reads_the_last(domain, events, tape, tmp_path, capsys):
    path = lines_file(tmp_path, 200, bad={7, 150})
    assert tokenize(tape, "--domain", domain, "--file", str(path)) == 0
    printed = first_index(events, lambda e: e[0] == "out" and e[1].startswith(f"{path}:1  ("))
    assert printed < first_index(events, lambda e: e == ("read", 200))
    out = tape.getvalue()
    assert out.count("  tokens: ") == 198 and f"{path}:7 " not in out and f"{path}:200  (" in out
    # bad records are counted as before, once the records have streamed past
    assert "198 records read from 1 file(s), 2 bad" in capsys.readouterr().err


def test_a_learned_tokenizer_trains_on_a_first_pass_then_replays_the_records(domain, events, tape, tmp_path,
                                                                             monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the spool goes
    path, saved = lines_file(tmp_path, 50), tmp_path / "char.json"
    assert tokenize(tape, "--domain", domain, "--tokenizer", "char", "--file", str(path),
                    "--save-tokenizer", str(saved)) == 0
    trained = tape.getvalue()
    # every record was read (to train) before the first print, and read once only: the print pass
    # replays the spooled records, so a validating reader does not run again
    assert first_index(events, lambda e: e == ("read", 50)) < first_index(events, lambda e: e[0] == "out")
    assert events.count(("read", 50)) == 1
    assert not list(tmp_path.glob("polyseq-tokenize-*")), "the spool is removed"
    # the same output as a run with the trained tokenizer given, which streams in one pass
    tape.seek(0)
    tape.truncate()
    events.clear()
    assert tokenize(tape, "--domain", domain, "--tokenizer-file", str(saved), "--file", str(path)) == 0
    assert tape.getvalue() == trained
    assert first_index(events, lambda e: e[0] == "out") < first_index(events, lambda e: e == ("read", 50))


@pytest.mark.parametrize("tokenizer", ["bytes", "char"], ids=["fixed", "learned"])
def test_limit_stops_the_reader(domain, tokenizer, events, tape, tmp_path):
    path = lines_file(tmp_path, 1000)
    assert tokenize(tape, "--domain", domain, "--tokenizer", tokenizer, "--file", str(path), "--limit", "3") == 0
    assert tape.getvalue().count("  tokens: ") == 3
    assert max(i for kind, i in events if kind == "read") == 3


def test_strict_stops_at_the_bad_record_after_printing_those_before_it(domain, tape, tmp_path, capsys):
    path = lines_file(tmp_path, 20, bad={5})
    assert tokenize(tape, "--domain", domain, "--strict", "--file", str(path)) == 2
    assert tape.getvalue().count("  tokens: ") == 4
    assert f"{path}:5: not letters" in capsys.readouterr().err


def test_decode_to_hands_the_writer_the_samples_as_they_come(domain, events, tape, tmp_path, capsys):
    path, out = lines_file(tmp_path, 30, bad={3}), tmp_path / "back.lines"
    assert tokenize(tape, "--domain", domain, "--file", str(path), "--check", "--decode-to", str(out)) == 0
    assert out.read_text() == "".join(line + "\n" for line in path.read_text().split() if line.isalpha())
    # the writer had the first sample before the reader read the last record of that pass
    last_pass = events[max(k for k, e in enumerate(events) if e == ("read", 1)):]
    assert first_index(last_pass, lambda e: e[0] == "write") < first_index(last_pass, lambda e: e == ("read", 30))
    assert "round trip: 29/29 records exact" in capsys.readouterr().err


def test_compare_sums_as_records_stream(domain, events, tape, tmp_path):
    path = lines_file(tmp_path, 40)
    samples = [line for line in path.read_text().split()]
    assert tokenize(tape, "--domain", domain, "--file", str(path), "--compare", "bytes,char") == 0
    out = tape.getvalue()
    assert out.startswith(f"{path}:1 (first of 40 records), cut by each tokenizer:")
    mean = sum(len(s) for s in samples) / len(samples)  # one token per letter with either tokenizer
    rows = [line.split() for line in out.splitlines() if line.startswith(("bytes ", "char* "))]
    assert [row[2] for row in rows] == [f"{mean:.1f}", f"{mean:.1f}"] and [row[3] for row in rows] == ["1.00", "1.00"]
    assert "means over 40 sample(s)" in out
    assert events.count(("read", 40)) == 1  # char trained on a spooled pass; the sums replay it


def test_a_glob_pattern_reads_each_file_in_order(domain, tape, tmp_path, capsys):
    for name, text in [("b.lines", "cd\n"), ("a.lines", "ab\nxy\n"), ("c.txt", "zz\n")]:
        (tmp_path / name).write_text(text)
    assert tokenize(tape, "--domain", domain, "--file", str(tmp_path / "*.lines")) == 0
    heads = [line.split("  (")[0] for line in tape.getvalue().splitlines() if not line.startswith("  ")]
    assert heads == [f"{tmp_path / 'a.lines'}:1", f"{tmp_path / 'a.lines'}:2", f"{tmp_path / 'b.lines'}:1"]
    assert tokenize(tape, "--domain", domain, "--file", str(tmp_path / "*.none")) == 2
    assert f"--file {tmp_path / '*.none'}: the pattern matches no file" in capsys.readouterr().err
