"""Peak memory while streaming windows from generated FASTA files of increasing size.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/dna_stream_memory.py [--sizes 20 100 300] [--out ...]

For each size (MB of sequence) a FASTA file of random ACGT is generated in a temporary folder
(plain, and gzip for the sizes given in --gzip-sizes), made of 1 Mb records wrapped at 80 columns
(an assembly of contigs; a single record is held whole by Biopython, so memory is bounded by the
largest record, not by the file). A fresh Python process then reads it with
`polyseq.get_domain("dna").read(path, window=1000, stride=500)` and only counts the windows; its
peak RSS (ru_maxrss) is compared with its RSS after the imports. Files are deleted afterwards.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from dna_kmer import write_section  # noqa: E402

SECTION = "dna_stream_memory"
RECORD_BP, LINE = 1_000_000, 80

CHILD = r"""
import json, resource, sys, time
import polyseq
from polyseq_dna import io  # noqa: F401  (Biopython and numpy imported before the baseline)
import Bio.SeqIO  # noqa: F401
def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
start = rss_mb()
t0 = time.perf_counter()
n = bases = 0
for record in polyseq.get_domain("dna").read(sys.argv[1], window=1000, stride=500):
    n += 1
    bases += len(record.sample)
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"windows": n, "bases": bases, "start_mb": start, "peak_mb": peak, "seconds": seconds}))
"""


def generate(path: Path, megabases: int, compress: bool, record_mb: int = 1) -> None:
    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    opener = (lambda p: gzip.open(p, "wb", compresslevel=1)) if compress else (lambda p: open(p, "wb"))
    with opener(path) as f:
        for i in range(megabases):
            if i % record_mb == 0:
                f.write(f">contig{i // record_mb} generated {record_mb * RECORD_BP} bp\n".encode())
            seq = letters[rng.integers(0, 4, RECORD_BP)].reshape(-1, LINE)
            lines = np.concatenate((seq, np.full((len(seq), 1), ord("\n"), dtype=np.uint8)), axis=1)
            f.write(lines.tobytes())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 100, 300], help="megabases per file")
    ap.add_argument("--gzip-sizes", type=int, nargs="*", default=[20, 100, 300])
    ap.add_argument("--single-record", type=int, nargs="*", default=[50],
                    help="sizes (Mb) of extra files made of ONE record, to show the per-record cost")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    rows = []
    runs = [(size, compress, 1) for size in args.sizes for compress in (False, True)
            if not compress or size in args.gzip_sizes] + [(size, False, size) for size in args.single_record]
    with tempfile.TemporaryDirectory(prefix="polyseq-dna-bench-") as tmp:
        for size, compress, record_mb in runs:
            kind = "one_record" if record_mb > 1 else "mb"
            path = Path(tmp) / f"generated_{size}{kind}.fa{'.gz' if compress else ''}"
            t0 = time.perf_counter()
            generate(path, size, compress, record_mb)
            file_mb = path.stat().st_size / 1e6
            print(f"generated {path.name}: {file_mb:.0f} MB in {time.perf_counter() - t0:.0f} s", flush=True)
            out = subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True, capture_output=True,
                                 text=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            path.unlink()
            assert result["windows"] == size // record_mb * (record_mb * RECORD_BP // 500 - 1)
            rows.append((path.name, file_mb, result))
            print(rows[-1], flush=True)

    table = "\n".join(
        f"| {name} | {mb:,.0f} MB | {r['windows']:,} | {r['start_mb']:.0f} MB | {r['peak_mb']:.0f} MB | "
        f"{r['peak_mb'] - r['start_mb']:.0f} MB | {r['bases'] / 1e6 / r['seconds']:.0f} Mb/s |"
        for name, mb, r in rows)
    increments = [r["peak_mb"] - r["start_mb"] for name, _, r in rows if "one_record" not in name]
    single = [(name, r["peak_mb"] - r["start_mb"]) for name, _, r in rows if "one_record" in name]
    single_text = "; ".join(f"{name}: {inc:.0f} MB" for name, inc in single) or "not run"
    text = f"""## Peak memory while streaming FASTA windows (`benchmarks/dna_stream_memory.py`)

Generated FASTA, 1 Mb records at 80 columns; `Domain.read(path, window=1000, stride=500)` in a fresh
process that only counts windows. RSS measured by the OS (ru_maxrss and /proc VmRSS); "after
imports" is the process once polyseq, Biopython and numpy are loaded.

| file | size on disk | windows | RSS after imports | peak RSS | increment | windows' bases / s |
|---|---|---|---|---|---|---|
{table}

Increment over imports: {min(increments):.0f} to {max(increments):.0f} MB for files from
{min(mb for n, mb, _ in rows if "one_record" not in n):,.0f} to
{max(mb for n, mb, _ in rows if "one_record" not in n):,.0f} MB on disk: flat in file size (target:
the increment does not grow with the file). What is bounded: one record (Biopython holds a record's
lines, their joined bytes and the Python string while its windows are cut) plus one window. A file
that is one huge record costs in proportion to that record, whatever the file's size; the
`one_record` rows measure it ({single_text}).
"""
    print(text)
    if args.out:
        write_section(args.out, SECTION, text)


if __name__ == "__main__":
    main()
