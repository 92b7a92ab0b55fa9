"""From a GenBank annotation to training data: per-base coding labels, and CDS -> protein pairs.

Biopython does all the GenBank work (`SeqIO` parses, `SeqFeature.location` and `feature.extract`
give strand-aware coordinates and sequences, `Seq.translate` the genetic code); nothing here reads
GenBank text itself. Which CDS count: those with a `/translation` whose location is exact (not
`<`/`>` partial), a whole number of codons read from `/codon_start=1`; `/pseudo` CDS (no protein)
and partial ones are skipped and counted.

Per-base labels (`coding_labels`, the tag task): `+` a base inside a translated CDS on the
forward strand, `-` on the reverse strand, `B` inside CDS on both strands (overlapping genes on
opposite strands: a label of their own, so `+` and `-` keep their meaning; they are counted),
`.` elsewhere (intergenic, RNA genes, pseudogenes). A CDS with a `join` location (a programmed
frameshift) labels each of its parts.

Tag windows (`write_tag_windows`): each record is cut into non-overlapping windows of `window`
bases from its first base (the last one shorter); consecutive windows form contiguous regions,
the first 80 % of windows train, the next 10 % val, the rest test, so no base is in two splits
and a split is one stretch of the genome (neighbouring windows are correlated: a random split
would leak). CSV `id,start,sequence,labels` (`start` 0-based; `id` is `record:first-last`,
1-based inclusive).

Protein pairs (`cds_fragments`, `write_protein_pairs`, the seq2seq task): each CDS's sequence
(`feature.extract`) is translated with its table (`/transl_table`, 11 for bacteria) with
`cds=True` and compared with `/translation`; a CDS that disagrees (a selenocysteine read through
an in-frame TGA, `/transl_except`) is skipped and counted. The CDS (stop codon included) is then
cut into fragments of `codons` codons (the last one shorter) and each fragment is paired with its
own translation by the codon table, `*` for the stop: a pair is a function of its DNA alone, so an
alternative start codon (GTG, TTG) reads V or L there, not the initiator M of `/translation`.
Genes are split 80/10/10 with all fragments of a gene in one split, and genes with an identical
protein (copies of an insertion sequence) in the same split. CSV `id,gene,dna,protein`: `id` is
`<protein_id>:<fragment number>` (a locus may have two CDS: alternative starts, frameshifts),
`gene` the `/locus_tag` (b0001...), the unit of the split.

Each writer also writes `summary.json` with the counts (skipped CDS, overlaps, label shares,
rows per split) and returns them.
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyseq import DatasetError
from polyseq_dna.io import open_text

FORWARD, REVERSE, BOTH, NONCODING = "+", "-", "B", "."
LABELS = FORWARD + REVERSE + BOTH + NONCODING
SPLIT_NAMES = ("train", "val", "test")
FRACTIONS = (0.8, 0.1, 0.1)
DEFAULT_TABLE = 11  # the bacterial, archaeal and plant plastid code


def read_records(path: Path) -> list[Any]:
    """Every record of a GenBank file (plain or gzip) as Biopython SeqRecords."""
    from Bio import SeqIO

    with open_text(Path(path)) as handle:
        records = list(SeqIO.parse(handle, "genbank"))
    if not records:
        raise DatasetError(f"{path}: no GenBank record found (is it a GenBank flat file?)")
    return records


# ---- which CDS count -------------------------------------------------------------------------------


def skip_reason(feature: Any) -> str | None:
    """Why a CDS feature gives no protein to learn from (None: it does)."""
    from Bio.SeqFeature import ExactPosition

    q = feature.qualifiers
    if "pseudo" in q or "pseudogene" in q:
        return "pseudo"
    if "translation" not in q:
        return "no_translation"
    parts = feature.location.parts
    if any(type(p.start) is not ExactPosition or type(p.end) is not ExactPosition for p in parts):
        return "partial"
    if q.get("codon_start", ["1"])[0] != "1" or len(feature.location) % 3:
        return "partial"
    return None


def coding_cds(record: Any, counts: Counter[str]) -> Iterator[Any]:
    """The record's CDS features that carry a protein; the others are counted as `skipped_<reason>`."""
    for feature in record.features:
        if feature.type != "CDS":
            continue
        counts["cds"] += 1
        reason = skip_reason(feature)
        if reason is not None:
            counts[f"skipped_{reason}"] += 1
            continue
        yield feature


# ---- per-base labels -------------------------------------------------------------------------------


def coding_labels(record: Any, counts: Counter[str] | None = None) -> str:
    """One label per base of `record` (see the module docstring); `counts` gets what was found."""
    import numpy as np

    counts = Counter() if counts is None else counts
    n = len(record.seq)
    forward, reverse = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for feature in coding_cds(record, counts):
        counts["cds_labelled"] += 1
        for part in feature.location.parts:
            (reverse if part.strand == -1 else forward)[int(part.start):int(part.end)] = True
    codes = np.full(n, ord(NONCODING), dtype=np.uint8)
    codes[forward] = ord(FORWARD)
    codes[reverse] = ord(REVERSE)
    codes[forward & reverse] = ord(BOTH)
    labels = codes.tobytes().decode("ascii")
    counts.update({f"bases_{name}": labels.count(label)
                   for name, label in (("forward", FORWARD), ("reverse", REVERSE), ("both", BOTH),
                                       ("noncoding", NONCODING))})
    return labels


def region_windows(length: int, window: int,
                   fractions: Sequence[float] = FRACTIONS) -> dict[str, list[tuple[int, int]]]:
    """(start, end) of the windows of each split: consecutive windows, cut by the fractions."""
    bounds = [(start, min(start + window, length)) for start in range(0, length, window)]
    n_train = round(fractions[0] * len(bounds))
    n_val = round(fractions[1] * len(bounds))
    return {"train": bounds[:n_train], "val": bounds[n_train:n_train + n_val], "test": bounds[n_train + n_val:]}


def write_tag_windows(genbank: Path, out: Path, window: int = 1000,
                      fractions: Sequence[float] = FRACTIONS) -> dict[str, Any]:
    """`train.csv`, `val.csv`, `test.csv` (`id,start,sequence,labels`) and `summary.json` in `out`."""
    counts: Counter[str] = Counter()
    rows: dict[str, list[tuple[str, int, str, str]]] = {s: [] for s in SPLIT_NAMES}
    for record in read_records(genbank):
        seq, labels = str(record.seq).upper(), coding_labels(record, counts)
        counts["records"] += 1
        counts["bases"] += len(seq)
        for split, bounds in region_windows(len(seq), window, fractions).items():
            for start, end in bounds:
                rows[split].append((f"{record.id}:{start + 1}-{end}", start, seq[start:end], labels[start:end]))
    for split, split_rows in rows.items():
        _write_csv(Path(out) / f"{split}.csv", ("id", "start", "sequence", "labels"), split_rows)
    shares = {label: sum(r[3].count(label) for rs in rows.values() for r in rs) / counts["bases"] for label in LABELS}
    summary = {"window": window, "counts": dict(sorted(counts.items())), "label_share": shares,
               "rows": {s: len(r) for s, r in rows.items()},
               "bases": {s: sum(len(r[2]) for r in rs) for s, rs in rows.items()}}
    _write_summary(Path(out), summary)
    return summary


# ---- CDS -> protein ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fragment:
    """A piece of one CDS and its translation."""

    cds: str  # the CDS's /protein_id (a locus can have two CDS: alternative starts, frameshifts)
    locus: str  # its /locus_tag: the gene, the unit of the split
    index: int  # 1-based position of the fragment in its CDS
    dna: str
    protein: str
    translation: str  # the whole CDS's /translation


def cds_fragments(record: Any, codons: int = 30, counts: Counter[str] | None = None) -> Iterator[Fragment]:
    """The codon-aligned fragments of every translated CDS of `record` whose translation checks out."""
    from Bio.Data.CodonTable import TranslationError

    counts = Counter() if counts is None else counts
    step = 3 * codons
    for feature in coding_cds(record, counts):
        q = feature.qualifiers
        locus = q.get("locus_tag", [f"{record.id}:{feature.location}"])[0]
        table = int(q.get("transl_table", [DEFAULT_TABLE])[0])
        dna = feature.extract(record.seq).upper()
        try:
            protein = str(dna.translate(table=table, cds=True))
        except TranslationError:
            protein = ""
        if protein != q["translation"][0]:
            counts["skipped_translation_differs"] += 1
            counts[f"translation_differs:{locus}"] += 1
            continue
        counts["cds_translated"] += 1
        cds = q.get("protein_id", [locus])[0]
        for i, start in enumerate(range(0, len(dna), step), start=1):
            piece = dna[start:start + step]
            yield Fragment(cds, locus, i, str(piece), str(piece.translate(table=table)), protein)


def split_groups(groups: Iterable[str], fractions: Sequence[float] = FRACTIONS, seed: int = 0) -> dict[str, str]:
    """group -> split: groups shuffled with `seed`, then given to train, val, test in turn until each
    holds its fraction of the items (a group listed n times counts n items)."""
    sizes = Counter(groups)
    order = sorted(sizes)
    random.Random(seed).shuffle(order)
    total, done, out = sum(sizes.values()), 0, {}
    limits = [sum(fractions[:i + 1]) * total for i in range(len(SPLIT_NAMES))]
    for group in order:
        split = next((s for s, limit in zip(SPLIT_NAMES, limits) if done < limit), SPLIT_NAMES[-1])
        out[group] = split
        done += sizes[group]
    return out


def gene_groups(fragments: Iterable[Fragment]) -> dict[str, str]:
    """locus -> the smallest locus it is linked to by an identical protein (union-find): a group
    of genes that must share a split."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for f in fragments:
        a, b = root(f.locus), root("protein " + f.translation)
        if a != b:
            parent[max(a, b)] = min(a, b)  # "b..." < "protein ...": a locus names the group
    return {key: root(key) for key in parent if not key.startswith("protein ")}


def write_protein_pairs(genbank: Path, out: Path, codons: int = 30, fractions: Sequence[float] = FRACTIONS,
                        seed: int = 0) -> dict[str, Any]:
    """`train.csv`, `val.csv`, `test.csv` (`id,gene,dna,protein`) and `summary.json` in `out`."""
    counts: Counter[str] = Counter()
    fragments = [f for record in read_records(genbank) for f in cds_fragments(record, codons, counts)]
    genes = gene_groups(fragments)
    split_of = split_groups(genes.values(), fractions, seed)
    rows: dict[str, list[tuple[str, str, str, str]]] = {s: [] for s in SPLIT_NAMES}
    seen: dict[str, set[str]] = {s: set() for s in SPLIT_NAMES}
    for f in fragments:
        split = split_of[genes[f.locus]]
        rows[split].append((f"{f.cds}:{f.index}", f.locus, f.dna, f.protein))
        seen[split].add(f.dna)
    for split, split_rows in rows.items():
        _write_csv(Path(out) / f"{split}.csv", ("id", "gene", "dna", "protein"), split_rows)
    differs = sorted(k.split(":", 1)[1] for k in counts if k.startswith("translation_differs:"))
    summary = {
        "codons": codons, "counts": {k: v for k, v in sorted(counts.items()) if ":" not in k},
        "translation_differs": differs,
        "genes": {s: Counter(split_of[group] for group in genes.values())[s] for s in SPLIT_NAMES},
        "rows": {s: len(r) for s, r in rows.items()},
        "dna_fragments_also_in_train": {s: len(seen[s] & seen["train"]) for s in ("val", "test")},
    }
    _write_summary(Path(out), summary)
    return summary


# ---- files ---------------------------------------------------------------------------------------------


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _write_summary(folder: Path, summary: dict[str, Any]) -> None:
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
