"""Peak memory (RSS) of `polyseq tokenize` and a 2-step `polyseq fit` on one huge record and on
many ordinary records, per domain.

    python -m benchmarks.memory --mb 50 --domains dna smiles text latex code

    nice -n 10 python -m benchmarks.memory --mb 1000 --inputs multi --domains dna text smiles latex code midi

Each command runs in a fresh child process (stdout to /dev/null); its peak RSS is the larger of
`ru_maxrss` (`os.wait4`) and the VmHWM sampled every 0.1 s from /proc, which also gives a run
stopped by --timeout a figure, how much it had read (rchar) and an RSS timeline. The single
record is over the default record limit (10 MB): with it the record is refused and the command
exits 1 quickly; `--no-limit` sets POLYSEQ_MAX_RECORD_BYTES=0 to measure the cost of tokenizing
it (run that with a small --mb: 50 MB of SMILES took 23 GB before the limit). A command killed by
--max-gb reports as such. Multi-record inputs are written in 4 MB blocks (`write_multi`): FASTA,
SMILES, text lines (`mode=line`), LaTeX formulas, JSON Lines of Python functions (a `.py` is one
record) and a folder of MIDI files made with mido, given as a glob. Figures: BENCHMARKS.md,
"Peak memory on huge records".
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

def _single(domain: str, n: int) -> tuple[str, str]:
    """(file suffix, the text of a file of one record of about `n` bytes)."""
    if domain == "dna":
        return ".fa", ">big\n" + "ACGT" * (n // 4) + "\n"
    if domain == "smiles":
        return ".smi", "CCO" * (n // 3) + "\n"
    if domain == "text":
        return ".txt", WORDS * (n // len(WORDS)) + "\n"
    if domain == "latex":
        return ".lst", "x^{2}+" * (n // 6) + "y\n"
    if domain == "code":
        return ".py", "x = 1 + 2  # comment\n" * (n // 21)
    raise SystemExit(f"no single-record input for domain {domain!r}")


WORDS = "the quick brown fox jumps over the lazy dog "
BLOCK = 4_000_000  # bytes written at a time, so a 1 GB input never sits in this process's memory


def _blocks(path: Path, n: int, block: Callable[[int], list[str]]) -> int:
    """Write `block(k)` (a list of records' lines) for k = 0, 1... until `n` bytes; returns the records written."""
    written = records = k = 0
    with open(path, "w", encoding="utf-8") as f:
        while written < n:
            lines = block(k)
            text = "".join(lines)
            f.write(text)
            written, records, k = written + len(text.encode()), records + len(lines), k + 1
    return records


def _midi_song(seed: int) -> bytes:
    """A standard MIDI file of 4,000 random notes on two tracks (mido), about 30 KB."""
    import io
    import random

    import mido

    rng, song = random.Random(seed), mido.MidiFile(ticks_per_beat=480)
    for channel, program in ((0, 0), (1, 33)):
        track = mido.MidiTrack([mido.Message("program_change", program=program, channel=channel)])
        for _ in range(2000):
            pitch, length = rng.randint(36 + 24 * (1 - channel), 60 + 24 * (1 - channel)), rng.choice((120, 240, 480))
            track.append(mido.Message("note_on", note=pitch, velocity=rng.randint(40, 110), channel=channel, time=0))
            track.append(mido.Message("note_off", note=pitch, velocity=0, channel=channel, time=length))
        song.tracks.append(track)
    out = io.BytesIO()
    song.save(file=out)
    return out.getvalue()


def write_multi(domain: str, folder: Path, n: int) -> tuple[Path, int, dict[str, str]]:
    """A multi-record input of about `n` bytes for `domain` in `folder`: (the --file / --data.train
    argument, number of records, reader options). dna, smiles, text and latex repeat the ordinary
    records of the 50 MB rows; code is JSON Lines of small functions (a `.py` is one record), named
    from 9,973 names since a learned code vocabulary counts every distinct lexeme;
    midi is a folder of files (one score each) given as a glob."""
    if domain == "dna":
        path = folder / "multi.fa"
        per = BLOCK // 210
        return path, _blocks(path, n, lambda k: [f">r{k * per + i}\n{'ACGTTGCA' * 25}\n" for i in range(per)]), {}
    if domain == "smiles":
        path = folder / "multi.smi"
        return path, _blocks(path, n, lambda k: ["c1ccccc1CC(=O)OCC\n"] * (BLOCK // 18)), {}
    if domain == "text":
        path = folder / "multi.txt"
        return path, _blocks(path, n, lambda k: [WORDS * 4 + "\n"] * (BLOCK // 177)), {"mode": "line"}
    if domain == "latex":
        path = folder / "multi.lst"
        return path, _blocks(path, n, lambda k: ["\\frac{a}{b}+x^{2}\n"] * (BLOCK // 18)), {}
    if domain == "code":
        path, per = folder / "multi.jsonl", BLOCK // 120

        def block(k: int) -> list[str]:
            return [json.dumps({"code": f"def f{(k * per + i) % 9973}(a, b):\n    return a * {i % 97} + b\n",
                                "language": "python"}) + "\n" for i in range(per)]

        return path, _blocks(path, n, block), {}
    if domain == "midi":
        songs_dir = folder / "songs"
        songs_dir.mkdir()
        songs = [_midi_song(seed) for seed in range(100)]
        written = count = 0
        while written < n:
            (songs_dir / f"song_{count:06d}.mid").write_bytes(songs[count % len(songs)])
            written, count = written + len(songs[count % len(songs)]), count + 1
        return songs_dir / "*.mid", count, {}
    raise SystemExit(f"no multi-record input for domain {domain!r}")


def _proc(pid: int) -> tuple[int, int, int]:
    """(VmHWM, VmRSS, rchar) of process `pid` in bytes, from /proc; zeros once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        io_ = Path(f"/proc/{pid}/io").read_text()
    except OSError:
        return 0, 0, 0
    kb = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("Vm")}
    rchar = next(int(line.split()[1]) for line in io_.splitlines() if line.startswith("rchar"))
    return kb.get("VmHWM", 0), kb.get("VmRSS", 0), rchar


def peak_rss(cmd: list[str], env: dict[str, str], timeout: float, max_gb: float, every: float = 0.1) -> dict[str, object]:
    """Exit code, peak RSS (MB) and seconds of `cmd` in a fresh process (address space capped at max_gb).

    The process's VmHWM, VmRSS and rchar (bytes it has read) are sampled from /proc every `every`
    seconds, so a run stopped at `timeout` still gives its peak so far (rc "stopped"), how much it had
    read, and an RSS timeline; a finished run's peak is its `ru_maxrss` (`os.wait4`)."""
    limit = f"ulimit -v {int(max_gb * 1024 * 1024)}; "
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(["bash", "-c", limit + 'exec "$@"', "_", *cmd], env=env, stdout=subprocess.DEVNULL,
                                stderr=err, text=True, start_new_session=True)
        hwm, timeline, rchar, status, usage = 0, [], 0, None, None
        while status is None:
            pid, status_, usage_ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status, usage = status_, usage_
                break
            seconds = time.perf_counter() - start
            sample = _proc(proc.pid)
            if sample[0]:
                hwm, rchar = max(hwm, sample[0]), sample[2]
                timeline.append((round(seconds), round(sample[1] / 2**20), round(sample[2] / 1e6)))
            if seconds > timeout:
                os.killpg(proc.pid, signal.SIGKILL)  # its children too
                os.waitpid(proc.pid, 0)
                break
            time.sleep(every)
        proc.returncode = -1  # reaped above: Popen must not wait for it again
        err.seek(0)
        last = (err.read().strip().splitlines() or [""])[-1][:300]
    seconds = round(time.perf_counter() - start, 1)
    keep = timeline[:: max(1, len(timeline) // 8)] + timeline[-1:]  # (s, RSS MB, MB read) at about 9 moments
    out: dict[str, object] = {"seconds": seconds, "read_mb": round(rchar / 1e6), "rss_timeline": keep,
                              "load_avg": [round(x, 1) for x in os.getloadavg()]}
    if status is None:
        return {"rc": "stopped", "peak_mb": round(hwm / 2**20) if hwm else None, **out, "last_line": last}
    if os.WIFSIGNALED(status):
        return {"rc": f"killed by signal {os.WTERMSIG(status)}", "peak_mb": round(hwm / 2**20) or None, **out,
                "last_line": last}
    peak = max(hwm, usage.ru_maxrss * 1024)
    return {"rc": os.WEXITSTATUS(status), "peak_mb": round(peak / 2**20), **out, "last_line": last}


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name)) if "*" in path.name else path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=50, help="size of each input in MB")
    ap.add_argument("--domains", nargs="+", default=["dna", "smiles", "text", "latex", "code"],
                    choices=["dna", "smiles", "text", "latex", "code", "midi"])
    ap.add_argument("--no-limit", action="store_true", help="POLYSEQ_MAX_RECORD_BYTES=0 (measure a huge record)")
    ap.add_argument("--commands", nargs="+", default=["tokenize", "fit"], choices=["tokenize", "fit"])
    ap.add_argument("--inputs", nargs="+", default=["single", "multi"], choices=["single", "multi"])
    ap.add_argument("--timeout", type=float, default=600, help="seconds; a longer command is stopped (its RSS so far is kept)")
    ap.add_argument("--max-gb", type=float, default=16, help="address-space cap of each command")
    ap.add_argument("--tmp", default=None, help="folder for the inputs (default: a new temporary one)")
    args = ap.parse_args(argv)
    n = int(args.mb * 1e6)
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        env = {**os.environ, "POLYSEQ_CACHE": str(Path(tmp) / "cache"), "OMP_NUM_THREADS": "1", "TMPDIR": tmp}
        if args.no_limit:
            env["POLYSEQ_MAX_RECORD_BYTES"] = "0"
        for domain in args.domains:
            for kind in args.inputs:
                folder = Path(tmp) / f"{domain}-{kind}"
                folder.mkdir()
                start = time.perf_counter()
                if kind == "single":
                    if domain == "midi":
                        continue  # a MIDI file's size is its notes: no one-record text form to blow up
                    suffix, text = _single(domain, n)
                    path, records, options = folder / f"single{suffix}", 1, {}
                    path.write_text(text)
                else:
                    path, records, options = write_multi(domain, folder, n)
                made = {"domain": domain, "input": kind, "file_mb": round(_size(path) / 1e6, 1), "records": records,
                        "generate_s": round(time.perf_counter() - start, 1)}
                for command in args.commands:
                    if command == "tokenize":
                        cmd = ["-m", "polyseq", "tokenize", "--domain", domain, "--file", str(path)]
                        cmd += [x for k, v in options.items() for x in ("-r", f"{k}={v}")]
                    else:
                        cmd = ["-m", "polyseq", "fit", "--data.domain", domain, "--data.train", str(path),
                               "--model.d_model", "16", "--model.n_layers", "1", "--trainer.max_steps", "2",
                               "--trainer.enable_progress_bar", "false", "--trainer.logger", "false",
                               "--data.max_length", "64", "--trainer.default_root_dir", str(Path(tmp) / "runs")]
                        cmd += ["--data.reader_options", json.dumps(options)] if options else []
                    row = {**made, "command": command, **peak_rss([sys.executable, *cmd], env, args.timeout, args.max_gb)}
                    print(json.dumps(row), flush=True)
                shutil.rmtree(folder)
                shutil.rmtree(Path(tmp) / "cache", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
