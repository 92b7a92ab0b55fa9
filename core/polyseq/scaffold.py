"""`polyseq new-domain NAME`: an installable domain plugin built on the core blocks, kit test included.

The package it writes (`DIR/`):

    pyproject.toml               the `polyseq` entry point; `pip install -e DIR` registers the domain
    README.md                    what to edit first, and the commands that check and train it
    src/polyseq_NAME/__init__.py the domain: a per-symbol and a k-mer tokenizer, FASTA and CSV readers
                                 with `column`/`target`, a validator, a FASTA writer, example files
    data/NAME_labelled.csv       400 labelled samples (a planted motif or not), for a first `fit`
    tests/                       the conformance kit over the domain, and a read of the labelled file

Everything is configured from `polyseq`'s public building blocks, so the plugin is short and
stays correct when the blocks improve.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from polyseq.errors import ConfigError

EXAMPLE_ROWS = 400


def check_name(name: str) -> None:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name or ""):
        raise ConfigError(f"domain name {name!r}: use lower-case letters, digits and '_', starting with a letter "
                          "(it becomes --data.domain NAME and the package polyseq_NAME)")


def check_alphabet(alphabet: str) -> str:
    symbols = list(dict.fromkeys(alphabet))
    if len(symbols) < 2 or len(symbols) != len(alphabet):
        raise ConfigError(f"--alphabet {alphabet!r}: give at least two different characters, each once")
    bad = [c for c in symbols if not c.isprintable() or c.isspace() or c in "\"\\,>"]
    if bad:
        raise ConfigError(f"--alphabet: characters {bad!r} cannot be sequence symbols (whitespace, quotes, "
                          "commas and '>' belong to the file formats)")
    return alphabet


def _folds(alphabet: str) -> bool:
    """Whether lower case can be read as upper case: an alphabet of upper-case letters only."""
    return alphabet == alphabet.upper() and alphabet.lower() != alphabet and not set(alphabet.lower()) & set(alphabet)


def labelled_rows(alphabet: str, n: int = EXAMPLE_ROWS, seed: int = 0) -> list[tuple[str, str]]:
    """Random samples, half of them holding a planted motif (label `motif`), half not (`none`)."""
    rng = random.Random(seed)
    motif = (alphabet[0] + alphabet[1] + alphabet[-1] + alphabet[0] + alphabet[1])[:5]
    rows = []
    while len(rows) < n:
        label = "motif" if len(rows) % 2 == 0 else "none"
        seq = "".join(rng.choice(alphabet) for _ in range(rng.randint(30, 60)))
        if label == "motif":
            at = rng.randrange(len(seq) - len(motif))
            seq = seq[:at] + motif + seq[at + len(motif):]
        elif motif in seq:
            continue
        rows.append((seq, label))
    return rows


def _module(name: str, alphabet: str) -> str:
    folds = _folds(alphabet)
    fold = '\n    fold_case = "upper"' if folds else ""
    check = "sample.upper()" if folds else "sample"
    examples = tuple(row[0] for row in labelled_rows(alphabet, n=3, seed=1))
    return f'''"""The `{name}` domain for polyseq, written by `polyseq new-domain` on polyseq's building blocks.

Edit ALPHABET and `validate` first; README.md says what else to change and how to check it.
"""

from pathlib import Path

import polyseq
from polyseq import Domain, hookimpl

ALPHABET = {alphabet!r}  # the symbols a {name} sample is made of


class Symbol(polyseq.LookupTokenizer):
    """One token per symbol."""

    type_name = "{name}.symbol"  # "<domain>.<name>": how saved tokenizers find this class
    alphabet = ALPHABET{fold}


class Kmer(polyseq.KmerTokenizer):
    """k-mers (non-overlapping by default; -o stride=1 overlaps them); a tail shorter than k is single symbols."""

    type_name = "{name}.kmer"
    alphabet = ALPHABET
    k = 3{fold}


def validate(sample):
    """None for a valid sample, else the reason: readers report such records as bad, with their line."""
    outside = sorted(set({check}) - set(ALPHABET))
    return f"symbols outside the {name} alphabet: {{outside}}" if outside else None


def write_fasta(samples, path):
    """Samples as FASTA (what `polyseq generate` writes)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(f">sample{{i}}\\n{{s}}\\n" for i, s in enumerate(samples, 1))
    return [path]


def example_files(folder):
    """One small valid file per reader suffix, for the conformance kit."""
    csv = folder / "example.csv"
    csv.write_text("sequence,label\\n" + "".join(f"{{s}},{{i % 2}}\\n" for i, s in enumerate(EXAMPLES)))
    return [*write_fasta(EXAMPLES, folder / "example.fasta"), *write_fasta(EXAMPLES, folder / "example.fa"), csv]


EXAMPLES = {examples!r}
FASTA = polyseq.fasta_reader(check=validate)  # --data.target reads `label=...` from the header


@hookimpl
def register_domains(register):
    register(Domain(
        name="{name}",
        description="{name} sequences (edit this line: `polyseq plugins` shows it)",
        tokenizers={{"symbol": Symbol, "kmer": Kmer}},
        default_tokenizer="symbol",
        readers={{".fasta": FASTA, ".fa": FASTA,
                  ".csv": polyseq.table_reader(sample_names=("sequence",), check=validate)}},
        examples=EXAMPLES,
        validator=validate,
        writer=write_fasta,
        example_files=example_files,
        alphabet=ALPHABET,
        case_sensitive={not folds},
    ))
'''


def _pyproject(name: str) -> str:
    return f'''[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "polyseq-{name.replace("_", "-")}"
version = "0.1.0"
description = "{name} sequences as a polyseq domain"
requires-python = ">=3.11"
# polyseq itself is not listed: it is installed from its own checkout, and a bare "polyseq" here
# would let pip fetch whatever package of that name an index offers. Install polyseq first.
dependencies = []

[project.optional-dependencies]
test = ["pytest>=8", "hypothesis>=6"]

# This is what makes `{name}` appear in `polyseq plugins`: polyseq loads every module listed
# under the "polyseq" entry-point group.
[project.entry-points.polyseq]
{name} = "polyseq_{name}"

[tool.setuptools.packages.find]
where = ["src"]

[tool.pytest.ini_options]
testpaths = ["tests"]
'''


def _tests(name: str, alphabet: str) -> dict[str, str]:
    invalid = next(c for c in "@1#%xZ" if c not in alphabet and c.upper() not in alphabet)
    return {
        "conftest.py": 'pytest_plugins = ["polyseq.testing"]  # the conformance kit\n',
        f"test_{name}.py": f'''"""polyseq's conformance kit over the {name} domain, and its labelled example file."""

from pathlib import Path

import pytest

import polyseq
from polyseq.testing import DomainChecks

LABELLED = Path(__file__).resolve().parents[1] / "data" / "{name}_labelled.csv"


class Test{name.title().replace("_", "")}(DomainChecks):
    domain = "{name}"

    @pytest.fixture
    def invalid_sample(self):
        return "{alphabet[0]}{invalid}{alphabet[1]}"


def test_the_labelled_file_reads_with_its_labels():
    report = polyseq.ReadReport()
    records = list(polyseq.get_domain("{name}").read(LABELLED, target="label", report=report))
    assert report.n_bad == 0 and len(records) == {EXAMPLE_ROWS}
    assert {{r.target for r in records}} == {{"motif", "none"}}
''',
    }


def _readme(name: str, out: Path) -> str:
    return f'''# polyseq-{name}

The `{name}` domain for [polyseq](https://github.com/polyseq), written by `polyseq new-domain {name}`.

## Install and check

polyseq must be installed first (it is not taken from a package index):

```text
pip install -e {out}
pytest {out}                       # polyseq's conformance kit over the domain
polyseq plugins                    # lists `{name}`
polyseq tokenize --domain {name} --file {out}/data/{name}_labelled.csv --limit 2
polyseq fit --data.domain {name} --data.train {out}/data/{name}_labelled.csv --data.task classify --data.target label
```

## What to edit

- `ALPHABET` and `validate` in `src/polyseq_{name}/__init__.py`: the symbols of a sample, and
  what makes one invalid (readers report invalid records with file and line; none is dropped
  silently).
- The tokenizers are configured, not written: `polyseq.LookupTokenizer` (one token per symbol,
  or a vocabulary learned from data with `alphabet = None`, lossless through byte fallback) and
  `polyseq.KmerTokenizer` (`k`, `stride`). `polyseq.TrackTokenizer` pairs a sequence with an
  aligned annotation track.
- The readers take the options every polyseq reader takes: `column` (the sample column or field)
  and `target` (the label column, or a `key=value` field of a FASTA header), so `--data.target
  label` works for CSV and for `>id label=motif` headers alike.
- `data/{name}_labelled.csv`: 400 generated samples, half with a planted motif. Replace it with
  real data.

See polyseq's docs/writing-a-plugin.md for the optional parts (augmentations, metrics, splits).
'''


def write_domain_package(name: str, out: Path, alphabet: str = "ACGT", force: bool = False) -> list[Path]:
    """Write the plugin package for domain `name` under `out`; returns the files written."""
    check_name(name)
    check_alphabet(alphabet)
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not force:
        raise ConfigError(f"{out}: exists and is not empty; choose another --out, or pass --force to overwrite")
    rows = labelled_rows(alphabet)
    files = {
        "pyproject.toml": _pyproject(name),
        "README.md": _readme(name, out),
        f"src/polyseq_{name}/__init__.py": _module(name, alphabet),
        f"data/{name}_labelled.csv": "sequence,label\n" + "".join(f"{s},{y}\n" for s, y in rows),
        **{f"tests/{k}": v for k, v in _tests(name, alphabet).items()},
    }
    written = []
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
