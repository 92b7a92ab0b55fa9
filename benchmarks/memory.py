"""Peak memory (RSS) of `polyseq tokenize` and a 2-step `polyseq fit` on one huge record and on
many ordinary records, per string domain.

    python -m benchmarks.memory --mb 50 --domains dna smiles text latex code

Each command runs in a fresh child process; its peak RSS is read with `resource.getrusage`
(RUSAGE_CHILDREN) in a small wrapper process, so the figure is that command's alone. The single
record is over the default record limit (10 MB): with it the record is refused and the command
exits 1 quickly; `--no-limit` sets POLYSEQ_MAX_RECORD_BYTES=0 to measure the cost of tokenizing
it (run that with a small --mb: 50 MB of SMILES took 23 GB before the limit). A command killed by
--timeout or --max-gb reports as such. A `.py` file is one record of the code domain, so its
"multi" input is one record too. Figures: BENCHMARKS.md, "Peak memory on huge records".
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

def _inputs(domain: str, n: int) -> tuple[str, str, str]:
    """(file suffix, a file of one record of about `n` bytes, a file of many records of about `n` bytes)."""
    if domain == "dna":
        return ".fa", ">big\n" + "ACGT" * (n // 4) + "\n", "".join(f">r{i}\n{'ACGTTGCA' * 25}\n" for i in range(n // 210))
    if domain == "smiles":
        return ".smi", "CCO" * (n // 3) + "\n", "".join("c1ccccc1CC(=O)OCC\n" for _ in range(n // 18))
    if domain == "text":
        words = "the quick brown fox jumps over the lazy dog "
        return ".txt", words * (n // len(words)) + "\n", (words * 4 + "\n") * (n // (4 * len(words) + 1))
    if domain == "latex":
        return ".lst", "x^{2}+" * (n // 6) + "y\n", "\\frac{a}{b}+x^{2}\n" * (n // 18)
    if domain == "code":
        return ".py", "x = 1 + 2  # comment\n" * (n // 21), "def f(a, b):\n    return a + b\n" * (n // 31)
    raise SystemExit(f"no generator for domain {domain!r}")


WRAPPER = (
    "import resource, subprocess, sys\n"
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
    "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "print((p.stderr.strip().splitlines() or [''])[-1][:300], file=sys.stderr)\n"
)


def peak_rss(cmd: list[str], env: dict[str, str], timeout: float, max_gb: float) -> dict[str, object]:
    """Exit code, peak RSS (MB) and seconds of `cmd` in a fresh process (address space capped at max_gb)."""
    limit = f"ulimit -v {int(max_gb * 1024 * 1024)}; "
    start = time.perf_counter()
    proc = subprocess.Popen(["bash", "-c", limit + 'exec "$@"', "_", sys.executable, "-c", WRAPPER, *cmd], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the command too, not only the wrapper
        proc.communicate()
        return {"rc": "timeout", "peak_mb": None, "seconds": timeout}
    out = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    parts = out.stdout.split()
    if len(parts) != 2:
        return {"rc": "killed", "peak_mb": None, "seconds": round(time.perf_counter() - start, 1)}
    return {"rc": int(parts[0]), "peak_mb": round(int(parts[1]) / 1024), "seconds": round(time.perf_counter() - start, 1),
            "last_line": out.stderr.strip()[-300:]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=50, help="size of each input in MB")
    ap.add_argument("--domains", nargs="+", default=["dna", "smiles", "text", "latex", "code"])
    ap.add_argument("--no-limit", action="store_true", help="POLYSEQ_MAX_RECORD_BYTES=0 (measure a huge record)")
    ap.add_argument("--commands", nargs="+", default=["tokenize", "fit"], choices=["tokenize", "fit"])
    ap.add_argument("--inputs", nargs="+", default=["single", "multi"], choices=["single", "multi"])
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--max-gb", type=float, default=16, help="address-space cap of each command")
    args = ap.parse_args(argv)
    n = int(args.mb * 1e6)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "POLYSEQ_CACHE": str(Path(tmp) / "cache"), "OMP_NUM_THREADS": "1"}
        if args.no_limit:
            env["POLYSEQ_MAX_RECORD_BYTES"] = "0"
        for domain in args.domains:
            suffix, single, multi = _inputs(domain, n)
            for kind in args.inputs:
                path = Path(tmp) / f"{domain}-{kind}{suffix}"
                path.write_text(single if kind == "single" else multi)
                size_mb = round(path.stat().st_size / 1e6, 1)
                for command in args.commands:
                    line_mode = domain == "text" and kind == "multi"  # a .txt is one record unless mode=line
                    if command == "tokenize":
                        cmd = ["-m", "polyseq", "tokenize", "--domain", domain, "--file", str(path)]
                        cmd += ["-r", "mode=line"] if line_mode else []
                    else:
                        cmd = ["-m", "polyseq", "fit", "--data.domain", domain, "--data.train", str(path),
                               "--model.d_model", "16", "--model.n_layers", "1", "--trainer.max_steps", "2",
                               "--trainer.enable_progress_bar", "false", "--trainer.logger", "false",
                               "--data.max_length", "64", "--trainer.default_root_dir", str(Path(tmp) / "runs")]
                        cmd += ["--data.reader_options", '{"mode": "line"}'] if line_mode else []
                    row = {"domain": domain, "input": kind, "file_mb": size_mb, "command": command,
                           **peak_rss([sys.executable, *cmd], env, args.timeout, args.max_gb)}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
