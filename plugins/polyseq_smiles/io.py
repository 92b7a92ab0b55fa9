"""Reading and writing molecules: `.smi`/`.txt`, CSV/TSV with SMILES and target columns, SDF (RDKit).

Every reader takes gzip-compressed files too, reads line by line (memory stays flat), and yields a
`BadRecord` - with the file, the line and RDKit's own reason - for each molecule it cannot use:
an invalid SMILES, a line that is not UTF-8, a row with the wrong number of fields, a missing
target, a molblock RDKit rejects, a file cut short. Nothing else of the file is lost. A file that
cannot be read as a whole (no SMILES column, an unknown target) raises `ReaderError`.

Truncation: a gzip stream cut short, or an SD record without its `$$$$`, is reported as such. A
plain file cut mid-line has its last line read as it is: a cut SMILES is nearly always invalid (an
open ring or branch) and a cut CSV row lacks fields, so both are reported; a cut that happens to
leave a valid SMILES cannot be told from a file without a final newline.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from polyseq import BadRecord, ConfigError, PolyseqError, Record, cut_short, too_long
from polyseq import read_table as _read_table
from polyseq_smiles import chem

Item = Record | BadRecord


def _open(path: Path) -> BinaryIO:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


_CUT = (EOFError, gzip.BadGzipFile, OSError)  # what a truncated or damaged gzip stream raises


def _decode(n: int, raw: bytes) -> tuple[int, str | None, str]:
    try:
        return n, raw.decode("utf-8-sig" if n == 1 else "utf-8"), ""
    except UnicodeDecodeError as e:
        return n, None, f"not UTF-8 text ({e.reason} at byte {e.start} of the line)"


def _lines(path: Path) -> Iterator[tuple[int, str | None, str]]:
    """`(line number, text or None, problem)` per line; a non-UTF-8 line or a cut gzip stream is a problem.

    A gzip stream cut short raises inside `readline`, so its partial last line never reaches the
    caller as a (shorter, still valid-looking) molecule: the cut is reported after the last whole line.
    """
    n = 0
    with _open(path) as f:
        try:
            for n, raw in enumerate(f, 1):
                yield _decode(n, raw)
        except _CUT as e:
            yield n + 1, None, cut_short(e, n)


def _target_names(target: str | Sequence[str] | None) -> list[str]:
    if target is None:
        return []
    names = [target] if isinstance(target, str) else list(target)
    if not names or not all(isinstance(t, str) and t for t in names):
        raise ConfigError(f"target must be a data item name or a list of names, got {target!r}")
    return names


_TARGET_TYPES = ("str", "int", "float", "auto")


def _target_value(text: str, target_type: str | None) -> float | int | str:
    """An SD data item as `target_type` says, as `polyseq.read_table` does for a column: None or
    str keep the text, int and float convert (ValueError if they cannot), auto makes numbers floats."""
    text = text.strip()
    if target_type in (None, "str"):
        return text
    if target_type in ("int", "float"):
        return int(text) if target_type == "int" else float(text)
    try:
        return float(text)
    except ValueError:
        return text


def _molecule(smiles: str, meta: dict[str, Any], target: Any, validate: bool, reaction: bool = False,
              steps: tuple[str, ...] = ()) -> Item:
    if not smiles:
        return BadRecord("empty SMILES", meta)
    reason = too_long(smiles)  # before RDKit: parsing costs ~100x the record's size in memory
    if reason:
        return BadRecord(reason, meta)
    if steps:
        try:
            return Record(standardized(smiles, steps), target, meta)
        except ValueError as e:
            return BadRecord(str(e), meta)
    if validate:
        reason = validate_reaction(smiles) if reaction else validate_smiles(smiles)
        if reason is not None:
            return BadRecord(reason, meta)
    return Record(smiles, target, meta)


# ---- .smi / .txt -------------------------------------------------------------------------------


def read_smi(path: Path, *, header: bool | None = None, validate: bool = True,
             standardize: bool | str | Sequence[str] | None = None) -> Iterator[Item]:
    """One molecule per line: a SMILES, then optionally whitespace and a name (kept in `meta["name"]`).

    `header=None` skips a first line whose first field is `smiles` (any case); `validate=False`
    skips the RDKit check (faster, for data known to be valid); `standardize`: see `read_csv`.
    """
    steps = chem.standardize_steps(standardize)
    source = str(path)
    for n, line, problem in _lines(Path(path)):
        meta: dict[str, Any] = {"source": source, "line": n}
        if line is None:
            yield BadRecord(problem, meta)
            continue
        fields = line.split(None, 1)
        if n == 1 and (header or (header is None and fields and fields[0].lower() == "smiles")):
            continue
        if not fields:
            yield BadRecord("empty line (no SMILES)", meta)
            continue
        if len(fields) > 1:
            meta["name"] = fields[1].strip()
        yield _molecule(fields[0], meta, None, validate, steps=steps)


# ---- CSV / TSV ----------------------------------------------------------------------------------


def read_csv(path: Path, *, column: str | int | None = None, target: str | Sequence[str] | None = None,
             target_type: str | None = None, delimiter: str | None = None, header: bool = True,
             validate: bool = True, reaction: bool = False,
             standardize: bool | str | Sequence[str] | None = None) -> Iterator[Item]:
    """Rows of a CSV (`.tsv`: tab-separated) with a SMILES column and optional target columns,
    read by `polyseq.read_table` (plain or gzip).

    The SMILES column is `column`, else the one named `smiles` in any case (or containing it, when
    only one does); a SMILES of several molecules (`CCO.Cl`, the reactants of a reaction) is one
    sample. `target`: one column name (the record's target is its value) or a list (the target is
    the list of values). Targets are the text in the file unless `target_type` says `int`,
    `float` or `auto` (numbers become floats, other values stay text); a value that is not of
    the type asked for is a bad record. `reaction=True`: the column holds reaction SMILES,
    `reactants>agents>products` (`A.B>>C`), each molecule validated. `validate=False` skips the
    RDKit check. CRLF line endings, a UTF-8 BOM and whitespace around SMILES are handled.

    `standardize`: each molecule rewritten as RDKit's canonical SMILES after the steps named
    (`true`: all of them): `largest_fragment` drops counter-ions and solvents, `neutralize` protonates
    or deprotonates charged groups where that gives a neutral molecule, `remove_stereo` drops
    tetrahedral and double-bond stereo marks. The usual clean-up before training on molecules from
    several sources, and a way to bring a fine-tuning set into a pretraining corpus's conventions
    (MOSES/ZINC: one neutral fragment, no stereo). A SMILES RDKit rejects is a bad record, as with
    `validate`.
    """
    if not isinstance(reaction, bool):
        raise ConfigError(f"reaction must be true or false, got {reaction!r}")
    steps = chem.standardize_steps(standardize)
    if steps and reaction:
        raise ConfigError("-r standardize applies to molecules, not reaction SMILES: drop standardize or reaction=true")
    check = (validate_reaction if reaction else validate_smiles) if validate and not steps else None
    convert = (lambda text: standardized(text, steps)) if steps else None
    return _read_table(path, column=column, target=target, target_type=target_type, delimiter=delimiter,
                       header=header, sample_names=("smiles",), convert=convert, check=check)


# ---- SDF ----------------------------------------------------------------------------------------


def _sdf_blocks(path: Path) -> Iterator[tuple[int, bytes, str]]:
    """`(first line, molblock with its data items, problem)` per `$$$$`-terminated record."""
    block: list[str] = []
    start, problem = 1, ""
    for n, line, line_problem in _lines(path):
        if line is None:
            if line_problem.startswith("the file ends"):
                yield start, b"", line_problem
                return
            problem = problem or f"line {n}: {line_problem}"
            continue
        block.append(line)
        if line.rstrip() == "$$$$":
            yield start, b"" if problem else "".join(block).encode(), problem
            block, start, problem = [], n + 1, ""
    if problem or any(line.strip() for line in block):
        yield start, b"", problem or "record not terminated by '$$$$': the file looks truncated"


def read_sdf(path: Path, *, target: str | Sequence[str] | None = None, target_type: str | None = None,
             remove_hs: bool = True, standardize: bool | str | Sequence[str] | None = None) -> Iterator[Item]:
    """Molecules of an SD file (RDKit's ForwardSDMolSupplier, one record at a time), as canonical SMILES.

    `target`: SD data item names (properties) to use as the target, one name or a list, as in
    `read_csv`; their values are the text of the item unless `target_type` (as in `read_csv`)
    converts them. The molecule's title line goes to `meta["name"]`. `standardize`: see `read_csv`.
    """
    from rdkit import Chem, rdBase

    steps = chem.standardize_steps(standardize)
    path = Path(path)
    target_names = _target_names(target)
    if target_type is not None and target_type not in _TARGET_TYPES:
        raise ConfigError(f"target_type must be one of {', '.join(_TARGET_TYPES)} (or null), got {target_type!r}")
    source = str(path)
    capture = getattr(rdBase, "CaptureErrorLog", None)
    for index, (start, block, problem) in enumerate(_sdf_blocks(path)):
        meta: dict[str, Any] = {"source": source, "line": start, "index": index}
        if problem:
            yield BadRecord(problem, meta)
            continue
        with chem.quiet_rdkit():
            if capture is None:
                mols, log = list(Chem.ForwardSDMolSupplier(io.BytesIO(block), removeHs=remove_hs)), None
            else:
                with capture() as log:
                    mols = list(Chem.ForwardSDMolSupplier(io.BytesIO(block), removeHs=remove_hs))
        mol = mols[0] if mols else None
        if mol is None:
            reason = chem.clean_log(log.messages if log is not None else "", "")
            yield BadRecord("RDKit cannot read this molecule" + (f": {reason}" if reason else ""), meta)
            continue
        if mol.HasProp("_Name") and mol.GetProp("_Name").strip():
            meta["name"] = mol.GetProp("_Name").strip()
        missing = [t for t in target_names if not mol.HasProp(t)]
        if missing:
            present = ", ".join(mol.GetPropNames()) or "(none)"
            yield BadRecord(f"no data item {', '.join(map(repr, missing))}; items present: {present}", meta)
            continue
        try:
            values = [_target_value(mol.GetProp(t), target_type) for t in target_names]
        except ValueError:
            yield BadRecord(f"data item(s) {', '.join(map(repr, target_names))} hold no {target_type} "
                            f"(target_type={target_type})", meta)
            continue
        value = None if not values else values[0] if isinstance(target, str) else values
        yield Record(Chem.MolToSmiles(chem.standardize_mol(mol, steps) if steps else mol), value, meta)


# ---- writer, validator, command-line text, example files ----------------------------------------


def validate_smiles(sample: Any) -> str | None:
    """None for a SMILES RDKit parses; otherwise the reason (RDKit's message when it gives one)."""
    reason = _whitespace(sample)
    if reason is None:
        _mol, reason = chem.parse(sample)
    return reason or None


def _whitespace(sample: Any) -> str | None:
    """The reason to refuse a SMILES with whitespace inside (RDKit would read what follows as a name)."""
    if isinstance(sample, str) and sample.strip() and any(c.isspace() for c in sample.strip()):
        return f"{sample!r} contains whitespace: a SMILES is one word (a name goes after it in a .smi file)"
    return None


def standardized(smiles: str, steps: tuple[str, ...]) -> str:
    """`chem.standardize` (which parses, so validates) after the validator's whitespace check;
    ValueError with the reason for a SMILES that fails either."""
    reason = _whitespace(smiles)
    if reason:
        raise ValueError(reason)
    return chem.standardize(smiles, steps)


def validate_reaction(sample: Any) -> str | None:
    """None for a reaction SMILES `reactants>agents>products` whose molecules RDKit all parses
    (reactants and products not empty, agents optional); otherwise the reason."""
    if not isinstance(sample, str) or sample.count(">") != 2:
        return f"{sample!r} is not a reaction SMILES: expected reactants>agents>products (e.g. CCO.CC(=O)O>>CCOC(C)=O)"
    for part, text in zip(("reactants", "agents", "products"), sample.split(">")):
        if not text and part != "agents":
            return f"reaction SMILES {sample!r} has no {part}"
        if text:
            reason = validate_smiles(text)
            if reason is not None:
                return f"{part}: {reason}"
    return None


def parse_text(text: str) -> str:
    """A SMILES typed on the command line (surrounding whitespace removed)."""
    return text.strip()


#: what str.splitlines() breaks a line at
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def write_smi(samples: Iterable[str], path: str | os.PathLike[str]) -> list[Path]:
    """One SMILES per line (generated molecules, valid or not: check them with `validate_smiles`).

    Nothing generated is lost: a line break inside a sample (a model can emit the byte of one) is
    written as U+FFFD so that the sample stays one line, with a warning counting such samples."""
    path = Path(path)
    lines, mended = [], 0
    for i, s in enumerate(samples):
        if not isinstance(s, str):
            raise PolyseqError(f"{path}: sample #{i} is a {type(s).__name__}, not a SMILES string")
        one_line = _LINE_BREAKS.sub("\ufffd", s.strip())
        mended += one_line != s.strip()
        lines.append(one_line + "\n")
    if mended:
        warnings.warn(f"{path}: {mended} sample(s) held line breaks, written as U+FFFD to keep one sample per line",
                      stacklevel=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("".join(lines), encoding="utf-8", errors="replace")
    os.replace(tmp, path)
    return [path]


def example_files(folder: Path) -> list[Path]:
    """Small valid files, one per reader suffix, made from `Domain.examples` (the conformance kit reads them)."""
    from rdkit import Chem

    from polyseq_smiles import EXAMPLES

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    smi, txt, csv_, tsv, sdf = (folder / f"molecules.{s}" for s in ("smi", "txt", "csv", "tsv", "sdf"))
    smi.write_text("".join(f"{s} mol{i}\n" for i, s in enumerate(EXAMPLES)), encoding="utf-8")
    txt.write_text("".join(f"{s}\n" for s in EXAMPLES), encoding="utf-8")
    csv_.write_text("name,SMILES,logS\n" + "".join(f"mol{i},{s},{-i / 2}\n" for i, s in enumerate(EXAMPLES)),
                    encoding="utf-8")
    tsv.write_text("smiles\tlogS\n" + "".join(f"{s}\t{-i / 2}\n" for i, s in enumerate(EXAMPLES)), encoding="utf-8")
    with Chem.SDWriter(str(sdf)) as writer:
        for i, s in enumerate(EXAMPLES):
            mol = Chem.MolFromSmiles(s)
            mol.SetProp("_Name", f"mol{i}")
            mol.SetProp("logS", str(-i / 2))
            writer.write(mol)
    return [smi, txt, csv_, tsv, sdf]
