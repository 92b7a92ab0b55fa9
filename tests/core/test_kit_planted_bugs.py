"""The conformance kit against the bugs plugin authors really make.

`PLUGIN` is a small but complete RNA domain written the way a plugin author writes one: a base
tokenizer (lookup table), a k-mer tokenizer with a `stride` option, a FASTA-like reader, a CSV
reader with a target column, a writer, `parse`, a validator and metrics. Each `Bug` below plants
one classic mistake into a copy of it (a textual patch, so the copy differs from the clean
plugin by that mistake only), registers the copy under its own domain name in a pytester run,
and asserts that the kit fails the check it should, with a message naming the problem. The clean
plugin passes every check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from polyseq import plugins

PLUGIN = r'''
"""RNA sequences (A C G U, N for an unknown base), as a plugin author writes a domain."""

import csv
import itertools
from pathlib import Path

from polyseq import (BOS_ID, EOS_ID, UNK_ID, BadRecord, ConfigError, Domain, ReaderError, Record, TokenizerMixin,
                     Vocab, bad_text_reason, hookimpl, open_text)

DOMAIN = "rna_clean"
BASES = "ACGUN"
FOLD = str.maketrans("acgun", "ACGUN")
EXAMPLES = ("GGGAAACUUCGGUUUCCC", "AUGGCUACGUAGCUAGCUAGGCUAAUCGNNACGU", "CCGUAGCUAGUCAGUCGAUUGAGCAUGCUACG")


class BaseTokenizer(TokenizerMixin):
    """One token per base; lower case folds to upper case unless fold_case=False; others are <unk>."""

    type_name = DOMAIN + ".base"

    def __init__(self, fold_case: bool = True):
        if not isinstance(fold_case, bool):
            raise ConfigError(f"fold_case must be true or false, got {fold_case!r}")
        self.fold_case = fold_case
        self.vocab = Vocab(BASES + ("" if fold_case else BASES.lower()))

    @property
    def vocab_size(self):
        return len(self.vocab.itos)

    def normalize(self, sample):
        return sample.translate(FOLD) if self.fold_case else sample

    def encode(self, sample):
        return self.vocab.lookup(self.normalize(sample))

    def encode_with_offsets(self, sample):
        return self.encode(sample), [(i, i + 1) for i in range(len(sample))]

    def decode(self, ids):
        return "".join(self.vocab.decode(ids, self.unk_text))

    def id_to_token(self, i):
        return self.vocab.id_to_token(i)

    def to_config(self):
        return {"fold_case": self.fold_case}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class KmerTokenizer(TokenizerMixin):
    """k-mers starting every `stride` bases (DNABERT when stride=1); the bases after the last
    k-mer, or of a sequence shorter than k, are single tokens."""

    type_name = DOMAIN + ".kmer"

    def __init__(self, k: int = 3, stride: int = 1):
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 5:
            raise ConfigError(f"k must be an integer in 1..5, got {k!r}")
        if isinstance(stride, bool) or not isinstance(stride, int) or not 1 <= stride <= k:
            raise ConfigError(f"stride must be an integer in 1..k={k}, got {stride!r}")
        self.k, self.stride = k, stride
        self.vocab = Vocab([*BASES, *("".join(p) for p in itertools.product(BASES, repeat=k))])

    @property
    def vocab_size(self):
        return len(self.vocab)

    def normalize(self, sample):
        return sample.translate(FOLD)

    def _pieces(self, sample):
        s = self.normalize(sample)
        starts = list(range(0, len(s) - self.k + 1, self.stride))
        covered = starts[-1] + self.k if starts else 0
        tokens = [s[i : i + self.k] for i in starts] + list(s[covered:])
        spans = [(i, i + self.k) for i in starts]
        spans += [(j, j + 1) for j in range(covered, len(s))]
        return tokens, spans

    def encode(self, sample):
        return self.vocab.lookup(self._pieces(sample)[0])

    def encode_with_offsets(self, sample):
        tokens, spans = self._pieces(sample)
        return self.vocab.lookup(tokens), spans

    def decode(self, ids):
        tokens = self.vocab.decode(ids, self.unk_text)
        n_kmers = sum(len(t) == self.k for t in tokens)
        out, seen = [], 0
        for t in tokens:
            if len(t) == self.k:
                seen += 1
                out.append(t if seen == n_kmers else t[: self.stride])
            else:
                out.append(t)
        return "".join(out)

    def id_to_token(self, i):
        return self.vocab.id_to_token(i)

    def to_config(self):
        return {"k": self.k, "stride": self.stride}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def validate(sample):
    if not sample:
        return "empty sequence"
    bad = sorted(set(sample.upper()) - set(BASES))
    return f"letters outside A C G U N: {''.join(bad)!r}" if bad else None


def parse(text):
    """A sequence typed on the command line: whitespace dropped, DNA's T read as U."""
    return "".join(text.split()).replace("T", "U").replace("t", "u")


def _fasta_record(source, line, header, lines):
    meta = {"source": source, "line": line, "id": header.split()[0] if header.split() else ""}
    sequence = "".join(lines)
    reason = bad_text_reason(header + sequence) or validate(sequence)
    return BadRecord(reason, meta) if reason else Record(sequence, meta=meta)


def read_fasta(path):
    source = str(path)
    with open_text(path) as f:
        header, start, lines = None, 0, []
        for n, raw in enumerate(f, 1):
            text = raw.rstrip("\r\n")
            if text.startswith(">"):
                if header is not None:
                    yield _fasta_record(source, start, header, lines)
                header, start, lines = text[1:], n, []
            elif header is not None:
                lines.append(text.strip())
            elif text.strip():
                yield BadRecord("text before the first '>' header", {"source": source, "line": n})
        if header is not None:
            yield _fasta_record(source, start, header, lines)


def read_csv(path, column="sequence", target=None):
    source = str(path)
    with open_text(path) as f:
        rows = csv.reader(f)
        header = next(rows, None)
        wanted = [column] + ([target] if target is not None else [])
        if not header or any(c not in header for c in wanted):
            raise ReaderError(f"{path}: expected a header with the column(s) {', '.join(wanted)}; "
                              f"columns present: {', '.join(header or [])}")
        col, tcol = header.index(column), (header.index(target) if target else None)
        start = rows.line_num + 1
        for row in rows:
            meta = {"source": source, "line": start}
            start = rows.line_num + 1
            if len(row) != len(header):
                yield BadRecord(f"row has {len(row)} field(s), the header has {len(header)}", meta)
                continue
            reason = bad_text_reason(",".join(row)) or validate(row[col])
            yield BadRecord(reason, meta) if reason else Record(row[col], None if tcol is None else row[tcol], meta)


def write_fasta(samples, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = []
    with open(path, "w", encoding="utf-8") as f:
        for i, sample in enumerate(samples, 1):
            buffer.append(f">sample_{i}\n{sample}\n")
            if len(buffer) == 64:
                f.write("".join(buffer))
                buffer.clear()
        f.write("".join(buffer))
    return [path]


def metrics(samples, reference=None):
    samples = [getattr(s, "sample", s) for s in samples]
    valid = [s for s in samples if validate(s) is None]
    bases = sum(len(s) for s in valid)
    gc = sum(s.upper().count("G") + s.upper().count("C") for s in valid)
    out = {"valid_fraction": len(valid) / len(samples) if samples else 0.0,
           "gc_content": gc / bases if bases else 0.0}
    if reference is not None:
        seen = {getattr(r, "sample", r) for r in reference}
        out["novel_fraction"] = sum(s not in seen for s in samples) / len(samples) if samples else 0.0
    return out


def example_files(folder):
    folder = Path(folder)
    fasta, table = folder / "example.fa", folder / "example.csv"
    fasta.write_text("".join(f">rna{i} example\n{s[:20]}\n{s[20:]}\n" for i, s in enumerate(EXAMPLES, 1)))
    table.write_text("name,sequence,label\n" + "".join(f"rna{i},{s},{'hairpin' if i % 2 else 'coding'}\n"
                                                     for i, s in enumerate(EXAMPLES, 1)))
    return [fasta, table]


@hookimpl
def register_domains(register):
    register(Domain(
        name=DOMAIN, description="RNA sequences", tokenizers={"base": BaseTokenizer, "kmer": KmerTokenizer},
        default_tokenizer="base", readers={".fa": read_fasta, ".csv": read_csv}, examples=EXAMPLES, parse=parse,
        validator=validate, metrics=metrics, writer=write_fasta, example_files=example_files,
        alphabet=BASES, case_sensitive=False,
    ))
'''

CONFTEST = '''
from polyseq import plugins

import MODULE

pytest_plugins = ["polyseq.testing"]


def pytest_configure(config):
    plugins.register(MODULE, name="MODULE")  # before collection: the kit parametrises from the domain


def pytest_unconfigure(config):
    plugins.unregister("MODULE")
    plugins.registry()  # rebuilt now: the cache is keyed by the plugins' id(), which the next run's module may reuse


def pytest_collection_modifyitems(config, items):
    # the domain's own tokenizers only: the core's shared ones (bytes, char...) have tests of their own
    own = set(plugins.registry().get_domain("MODULE").tokenizers)
    keep = [i for i in items if getattr(i, "callspec", None) is None
            or i.callspec.params.get("tokenizer_name", next(iter(own))) in own]
    config.hook.pytest_deselected(items=[i for i in items if i not in keep])
    items[:] = keep
'''

TEST = '''
import pytest
from polyseq.testing import DomainChecks


class TestPlugin(DomainChecks):
    domain = "MODULE"

    @pytest.fixture
    def invalid_sample(self):
        return "ACGX"
'''


@dataclass(frozen=True)
class Bug:
    """One mistake: the check that must fail, what its message must say (a regular expression), and
    the patches (old text, new text) that plant it in the clean plugin."""

    name: str
    check: str
    message: str
    patches: tuple[tuple[str, str], ...]


BASE_ENCODE = "        return self.vocab.lookup(self.normalize(sample))\n"

BUGS = [
    Bug("kmer_decode_wrong_at_length_k",  # every example is longer than k
        "test_round_trip[kmer]",
        r"round trip changed generated sample 'ACG':\s+input\s+'ACG'\s+expected 'ACG'\s+decoded\s+'A'(\n|$)",
        (("out.append(t if seen == n_kmers else", "out.append(t if seen == n_kmers > 1 else"),)),
    Bug("to_config_drops_stride",  # caught before only when a test class set stride itself
        "test_save_load_options[kmer]",
        r"option 'stride' did not survive save/load: built with stride=2, the reloaded tokenizer has stride=1 "
        r"\(to_config\(\) lacks 'stride'\)",
        (('return {"k": self.k, "stride": self.stride}', 'return {"k": self.k}'),)),
    Bug("reader_skips_malformed_row",
        "test_reader_mixed_records[.csv]",
        r"the malformed record at lines \d+-\d+ of mixed-example.csv was skipped silently: no BadRecord names it",
        (('yield BadRecord(f"row has {len(row)} field(s), the header has {len(header)}", meta)\n', ""),)),
    Bug("reader_crashes_on_short_row",
        "test_reader_mixed_records[.csv]",
        r"reader '.csv' of domain 'rna_\w+' crashed on a malformed record in mixed-example.csv .*"
        r"IndexError: list index out of range",
        (("            if len(row) != len(header):", "            if False:"),)),
    Bug("special_token_text_becomes_special",  # "a typed <mask> stays one token"
        "test_special_token_collision[base]",
        r"special-token collision: the text '<pad>' typed in a sample encodes to \['<pad>'\]",
        (("import itertools\n", "import itertools\nimport re\n"),
         (BASE_ENCODE, "        pieces = re.findall(r'<[a-z]+>|.', sample, re.S)\n"
                       "        return self.vocab.lookup(p if len(p) > 1 else self.normalize(p) for p in pieces)\n"))),
    Bug("encode_raises_on_unknown_symbols",
        "test_unknown_symbols[base]",
        r"encode raised KeyError on unknown symbols '\u2603GGGAAACUUCGGUUUCCC'",
        ((BASE_ENCODE, "        return [self.vocab.stoi[c] for c in self.normalize(sample)]\n"),)),
    Bug("writer_loses_the_last_buffer",
        "test_writer",
        r"written.fa: wrote \d+ samples, read back 0 \(0 bad\); first difference: sample #0 'GGGAAACUUCGGUUUCCC' "
        r"read back as nothing",
        (('                buffer.clear()\n        f.write("".join(buffer))\n', "                buffer.clear()\n"),)),
    Bug("parse_copied_from_dna",
        "test_parse",
        r"parse\('GGGAAACUUCGGUUUCCC'\) gave 'GGGAAACTTCGGTTTCCC': text typed on the command line must become the "
        r"same sample",
        (('.replace("T", "U").replace("t", "u")', '.replace("U", "T").replace("u", "t")'),)),
    Bug("metrics_divide_by_zero",  # metrics run at every validation of a generating model
        "test_metrics[base]",
        r"metrics raised ZeroDivisionError on \[\]: division by zero",
        (('"gc_content": gc / bases if bases else 0.0}', '"gc_content": gc / bases}'),)),
    Bug("vocab_size_off_by_one",
        "test_ids_in_range[base]",
        r"base: ids \[11, 11\] outside \[0, vocab_size=11\) for sample #1",
        (("return len(self.vocab.itos)", "return len(self.vocab.itos) - 1"),)),
    Bug("encode_adds_bos",
        "test_ids_in_range[base]",
        r"encode must not emit \['<bos>'\] \(the engine adds them\)",
        ((BASE_ENCODE, "        return [BOS_ID, *self.vocab.lookup(self.normalize(sample))]\n"),)),
    Bug("batch_sorted_and_not_restored",
        "test_batch_equals_single[kmer]",
        r"encode_batch != encode per sample for the batch",
        (("    def to_config(self):\n        return {\"k\"",
          "    def encode_batch(self, samples):  # one pass, shortest first\n"
          "        return [self.encode(s) for s in sorted(samples, key=len)]\n\n"
          "    def to_config(self):\n        return {\"k\""),)),
    Bug("offsets_forget_the_tail",  # only samples shorter than k have a tail when stride=1
        "test_offsets[kmer]",
        r"bad offsets for generated sample 'A': \['0 spans for 1 ids'\]",
        (("        spans += [(j, j + 1) for j in range(covered, len(s))]\n", ""),)),
    Bug("reader_meta_without_line",
        "test_reader_reads_example[.fa]",
        r"record meta needs 'line' or 'index'",
        (('meta = {"source": source, "line": line, "id"', 'meta = {"source": source, "id"'),)),
    Bug("reader_line_off_by_one",
        "test_reader_reads_example[.csv]",
        r"record #0 names line 1, but its sample 'GGGAAACUUCGGUUUCCC' is at line 2",
        (("        start = rows.line_num + 1\n        for row in rows:\n",
          "        for start, row in enumerate(rows, 1):\n"),
         ("            start = rows.line_num + 1\n", ""))),
    Bug("decode_keeps_pad",
        "test_special_tokens_skipped_on_decode[base]",
        r"decode must drop <bos>, <eos> and <pad>",
        (('        return "".join(self.vocab.decode(ids, self.unk_text))\n',
          '        return "".join(self.unk_text if i == UNK_ID else self.vocab.itos[i]\n'
          "                       for i in ids if i not in (BOS_ID, EOS_ID))\n"),)),
    Bug("kmer_ignores_lower_case",  # the examples are upper case
        "test_round_trip[kmer]",
        r"lower case is the same sample in this domain \(case_sensitive=False\), but "
        r"encode\('gggaaacuucgguuuccc'\) = \[1, 1, ",
        (("        s = self.normalize(sample)\n        starts", "        s = sample\n        starts"),)),
    Bug("validator_accepts_anything",
        "test_validator",
        r"the validator accepted 'ACGX'",
        (("""    return f"letters outside A C G U N: {''.join(bad)!r}" if bad else None""", "    return None"),)),
]


def plant(bug: Bug | None) -> str:
    """The plugin's source with `bug` planted (each patch must match exactly once), under its own domain name."""
    source = PLUGIN
    for old, new in bug.patches if bug else ():
        assert source.count(old) == 1, f"{bug.name}: the patch target occurs {source.count(old)} times: {old!r}"
        source = source.replace(old, new)
    return source.replace('"rna_clean"', f'"rna_{bug.name if bug else "clean"}"')


def _message(report) -> str:
    """What a failed check said: the exception's message, without the traceback around it."""
    crash = getattr(report.longrepr, "reprcrash", None)
    return crash.message if crash is not None else str(report.longrepr)


@pytest.fixture
def run_kit(pytester, monkeypatch):
    """Run the kit over one copy of the plugin, in process; returns {check: failure text} and the passed checks."""
    # Load every polyseq plugin here, outside the run: pytester forgets the modules a run imports,
    # and a polyseq.plugins imported inside one would be a second plugin manager in the next.
    plugins.registry()
    # pytest's own entry-point plugins are not needed inside (the kit calls hypothesis itself), and
    # scanning for them costs a second per run
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

    def run(bug: Bug | None) -> tuple[dict[str, str], set[str]]:
        module = f"rna_{bug.name if bug else 'clean'}"
        pytester.makepyfile(**{module: plant(bug)})
        pytester.makeconftest(CONFTEST.replace("MODULE", module))
        pytester.makepyfile(test_kit=TEST.replace("MODULE", module))
        pytester.syspathinsert()
        select = ["-k", bug.check] if bug else []  # a bug's own check: the clean run has shown the rest pass
        result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", *select)
        reports = result.reprec.getreports("pytest_runtest_logreport")
        failed = {r.nodeid.split("::")[-1]: _message(r) for r in reports if r.failed}
        passed = {r.nodeid.split("::")[-1] for r in reports if r.passed and r.when == "call"}
        assert passed or failed, result.stdout.str()
        return failed, passed

    return run


def test_the_kit_passes_the_clean_plugin(run_kit):
    failed, passed = run_kit(None)
    assert not failed, "the kit fails the clean plugin:\n" + "\n\n".join(f"{k}: {v[-1500:]}" for k, v in failed.items())
    assert {bug.check for bug in BUGS} <= passed


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_the_kit_catches_the_planted_bug(run_kit, bug):
    failed, _ = run_kit(bug)
    assert bug.check in failed, f"the kit missed {bug.name}: {bug.check} passed. Checks that failed: {sorted(failed)}"
    assert re.search(bug.message, failed[bug.check]), (
        f"{bug.name}: {bug.check} failed without saying what broke; expected /{bug.message}/ in:\n"
        f"{failed[bug.check][-3000:]}"
    )
