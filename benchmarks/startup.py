"""Start-up wall time of polyseq commands, each in a fresh interpreter, against `python -c pass`.

    python benchmarks/startup.py [--repeat 5] [--out benchmarks/results/startup.md]

Every command runs once per round, round-robin, `--repeat` rounds (a busy machine then slows
every command alike); the table shows each command's median and its ratio to a bare interpreter
measured in the same rounds, and which heavy modules the command left in `sys.modules`.
`import torch` is a row too: what a command that does not need it saves (`fit --help` adds Lightning).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("torch", "pytorch_lightning", "lightning", "torchmetrics", "numpy", "rdkit")
PROBE = """
import contextlib, io, json, sys
argv = json.loads(sys.argv[1])
if argv and argv[0] == "-c":
    exec(argv[1])
else:
    import polyseq.cli
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            polyseq.cli.main(argv)
        except SystemExit:
            pass
sys.stderr.write(json.dumps([m for m in json.loads(sys.argv[2]) if m in sys.modules]))
"""
COMMANDS = {
    "python -c pass (reference)": ["-c", "pass"],
    "polyseq --help": ["--help"],
    "polyseq plugins": ["plugins"],
    "polyseq tokenize --domain smiles 'CC(=O)Oc1ccccc1C(=O)O'": ["tokenize", "--domain", "smiles", "CC(=O)Oc1ccccc1C(=O)O"],
    "polyseq datasets (the catalog list)": ["datasets"],
    "polyseq fit --help": ["fit", "--help"],
    "python -c 'import torch'": ["-c", "import torch"],
}


def run_once(argv: list[str], env: dict, cwd: str) -> tuple[float, list[str]]:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv), json.dumps(HEAVY)], env=env, cwd=cwd,
                          capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, json.loads(done.stderr.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as cwd:
        env = {**os.environ, "POLYSEQ_CACHE": str(Path(cwd) / "cache")}
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        loaded: dict[str, list[str]] = {}
        for _ in range(args.repeat):
            for name, argv in COMMANDS.items():
                seconds, loaded[name] = run_once(argv, env, cwd)
                times[name].append(seconds)
    base = times["python -c pass (reference)"]
    lines = [
        "# Start-up time of polyseq commands",
        "",
        f"`python benchmarks/startup.py --repeat {args.repeat}`: each command in a fresh interpreter "
        f"(`{Path(sys.executable).name}`, Python {sys.version.split()[0]}, {os.cpu_count()} cores), "
        f"{args.repeat} round-robin rounds, median wall time; 'spread' is (max - min) / median over the rounds.",
        "",
        "| command | median s | spread | x bare python | heavy modules imported |",
        "|---|---:|---:|---:|---|",
    ]
    for name, values in times.items():
        median = statistics.median(values)
        ratio = statistics.median(v / b for v, b in zip(values, base))
        spread = (max(values) - min(values)) / median
        lines.append(f"| {name} | {median:.2f} | {spread:.0%} | {ratio:.1f} | {', '.join(loaded[name]) or '-'} |")
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
