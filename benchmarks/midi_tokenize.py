"""MIDI tokenisation throughput: polyseq's remi and midilike against miditok's REMI, same files, same run.

    python benchmarks/midi_tokenize.py [--data DIR] [--repeat 3] [--out benchmarks/results/midi.md]

DIR defaults to $POLYSEQ_DATA_MIRROR/midi/nottingham/full (831 Nottingham tunes, GPL-3.0: read in
place, never copied). Every stage reads the files' bytes from memory, so disk time is left out.
Every stage runs once per round, round-robin, `--repeat` rounds; the table shows each stage's
median, and a ratio is the median over rounds of the ratio within one round (a busy machine
then slows both sides alike). Ratios compare numbers measured in this run only.
Stages: parsing (mido, polyseq's reference parser; symusic, miditok's parser), mido -> Score,
polyseq's fast reader (census of the raw events + symusic + Score, `polyseq_midi.symusic_backend`),
tokenisation from the parsed object, and the end-to-end file bytes -> ids with either parser; then
round-trip fidelity on the same files and a profile of mido's parser. miditok and symusic are
optional (`pip install miditok symusic`): without them the mido rows are still measured.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import platform
import pstats
import statistics
import time
from collections import Counter
from pathlib import Path

import mido

from polyseq_midi.grid import GridOptions, grid_loss
from polyseq_midi.score import from_midi
from polyseq_midi.tokenizers import MIDILike, REMI

try:
    import miditok
    import symusic

    from polyseq_midi.symusic_backend import census, read_score
except ImportError:  # measured without the reference
    miditok = symusic = None


def read_fast(data: bytes):
    """What the reader does with symusic installed: the symusic Score, or mido's where it is not certain."""
    return read_score(data) or from_midi(mido.MidiFile(file=io.BytesIO(data)))


def n_tokens(encoded) -> int:
    total = 0
    for seq in encoded:  # polyseq: a list of ids; miditok: one TokSequence per track (or one for all)
        if isinstance(seq, list):
            total += sum(len(s.ids) for s in seq) if seq and hasattr(seq[0], "ids") else len(seq)
        else:
            total += len(seq.ids)
    return total


def main() -> None:
    mirror = os.environ.get("POLYSEQ_DATA_MIRROR", "../shared/data").split(os.pathsep)[0]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(mirror) / "midi" / "nottingham" / "full")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=None, help="also write the markdown report here")
    args = ap.parse_args()
    paths = sorted(p for p in args.data.iterdir() if p.suffix.lower() in (".mid", ".midi"))
    blobs = [p.read_bytes() for p in paths]
    n_files, rows = len(blobs), []

    def row(name, seconds, tokens=None, note=""):
        rows.append((name, seconds, tokens, note))

    mids = [mido.MidiFile(file=io.BytesIO(b)) for b in blobs]
    scores = [from_midi(m) for m in mids]
    remi = REMI(programs=False)
    jobs = {  # name -> (work, note); run round-robin so that load on the machine hits every job alike
        "mido.MidiFile parse": (lambda: [mido.MidiFile(file=io.BytesIO(b)) for b in blobs], "polyseq's parser"),
        "mido -> Score (polyseq from_midi)": (lambda: [from_midi(m) for m in mids], ""),
    }
    tokenizers = {"polyseq remi (programs=False)": remi, "polyseq remi (default, programs)": REMI(),
                  "polyseq midilike (default)": MIDILike()}
    for name, tok in tokenizers.items():
        jobs[f"{name}: Score -> ids"] = (lambda tok=tok: [tok.encode(s) for s in scores], "")
    jobs["polyseq remi (programs=False) end to end: bytes -> ids"] = (
        lambda: [remi.encode(from_midi(mido.MidiFile(file=io.BytesIO(b)))) for b in blobs], "")
    configs = {}
    if miditok is not None:
        sym = [symusic.Score.from_midi(b) for b in blobs]
        jobs["symusic parse"] = (lambda: [symusic.Score.from_midi(b) for b in blobs], "miditok's parser (C++)")
        configs = {"miditok REMI (default config)": miditok.REMI(),
                   "miditok REMI (matched: 12/beat, 8 beats, tempo+timesig)": miditok.REMI(miditok.TokenizerConfig(
                       beat_res={(0, 8): 12}, use_tempos=True, use_time_signatures=True, num_velocities=32))}
        for name, tok in configs.items():
            jobs[f"{name}: symusic.Score -> ids"] = (lambda tok=tok: [tok.encode(s) for s in sym], "")
        ref_tok = configs["miditok REMI (default config)"]
        jobs["miditok REMI (default) end to end: bytes -> ids"] = (
            lambda: [ref_tok.encode(symusic.Score.from_midi(b)) for b in blobs], "")
        jobs["polyseq census of the raw events"] = (lambda: [census(b) for b in blobs], "part of the next row")
        jobs["polyseq fast reader: bytes -> Score"] = (lambda: [read_fast(b) for b in blobs],
                                                       "census + symusic + Score")
        jobs["polyseq remi (programs=False) end to end, symusic parser: bytes -> ids"] = (
            lambda: [remi.encode(read_fast(b)) for b in blobs], "")
    times = {name: [] for name in jobs}
    outputs = {}
    for _ in range(args.repeat):
        for name, (work, _) in jobs.items():
            outputs.pop(name, None)
            gc.collect()
            gc.disable()  # as timeit does: the collector would scan everything held alive, unevenly
            t0 = time.perf_counter()
            out = work()
            times[name].append(time.perf_counter() - t0)
            gc.enable()
            outputs[name] = out if name.endswith("-> ids") else None
    t = {name: statistics.median(v) for name, v in times.items()}
    for name, (_, note) in jobs.items():
        out = outputs[name]
        tokens = n_tokens(out) if out is not None else None
        row(name, t[name], tokens, note)
    tok_times = {name: t[f"{name}: Score -> ids"] for name in tokenizers}

    def ratio(ref_job, job):  # median over rounds of the ratio within each round
        return statistics.median(a / b for a, b in zip(times[ref_job], times[job]))

    ref = {name: ratio(f"{name}: symusic.Score -> ids", "polyseq remi (programs=False): Score -> ids")
           for name in configs}
    same = None
    if configs:
        ref["end to end"] = ratio("miditok REMI (default) end to end: bytes -> ids",
                                  "polyseq remi (programs=False) end to end: bytes -> ids")
        ref["end to end, symusic"] = ratio("miditok REMI (default) end to end: bytes -> ids",
                                           "polyseq remi (programs=False) end to end, symusic parser: bytes -> ids")
        ref["parse"] = ratio("mido.MidiFile parse", "symusic parse")
        ref["fast reader"] = ratio("mido.MidiFile parse", "polyseq fast reader: bytes -> Score")
        fast = [read_score(b) for b in blobs]
        same = (sum(f is not None for f in fast), sum(f == s for f, s in zip(fast, scores)))
    t_mido, t_conv = t["mido.MidiFile parse"], t["mido -> Score (polyseq from_midi)"]
    t_e2e = t["polyseq remi (programs=False) end to end: bytes -> ids"]
    t_sym = t.get("symusic parse")
    t_ref_e2e = t.get("miditok REMI (default) end to end: bytes -> ids")

    fidelity = measure_fidelity(scores)
    profile = profile_mido(blobs[:200])
    report = render(args, n_files, rows, tok_times, ref, t_mido, t_conv, t_e2e, t_ref_e2e, t_sym, fidelity, profile, same)
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")


def measure_fidelity(scores) -> dict:
    out = {}
    for name, tok in (("remi", REMI()), ("midilike", MIDILike()), ("remi, programs=False", REMI(programs=False))):
        kept = total = 0
        for s in scores:
            expected = Counter(tok.normalize(s).notes)
            got = Counter(tok.decode(tok.encode(s)).notes)
            kept += sum((expected & got).values())
            total += sum(expected.values())
        out[name] = (kept, total)
    loss = {}
    for r in (4, 8, 12, 24):
        c: Counter = Counter()
        for s in scores:
            c.update(grid_loss(s, GridOptions(resolution=r)))
        loss[r] = c
    return {"round_trip": out, "loss": loss}


def profile_mido(blobs) -> str:
    prof = cProfile.Profile()
    prof.enable()
    for b in blobs:
        mido.MidiFile(file=io.BytesIO(b))
    prof.disable()
    text = io.StringIO()
    pstats.Stats(prof, stream=text).strip_dirs().sort_stats("tottime").print_stats(10)
    lines = [ln for ln in text.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    return "\n".join(lines[start - 1:start + 11])


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("mido", "numpy", "miditok", "symusic"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} not installed")
    return ", ".join(found)


def render(args, n_files, rows, tok_times, ref, t_mido, t_conv, t_e2e, t_ref_e2e, t_sym, fidelity, profile, same) -> str:
    lines = [
        "# MIDI tokenisation: polyseq vs miditok",
        "",
        f"`python benchmarks/midi_tokenize.py --repeat {args.repeat}` on {n_files} Nottingham tunes "
        f"(`{args.data.name}/`, melody + chords, 2 tracks, 1024 ticks/beat); median of {args.repeat} round-robin rounds; "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, files read from memory, one process, garbage collector off while timing; "
        f"{_versions()}.",
        "",
        "| stage | seconds | files/s | tokens | tokens/s | |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, seconds, tokens, note in rows:
        shown = (f"{tokens:,}", f"{tokens / seconds:,.0f}") if tokens else ("", "")
        lines.append(f"| {name} | {seconds:.3f} | {n_files / seconds:,.0f} | {shown[0]} | {shown[1]} | {note} |")
    lines.append("")
    if ref:
        lines += ["Speed ratios, each the median over the rounds of (miditok time / polyseq time) within one "
                  "round (above 1: polyseq faster):", ""]
        for name, r in ref.items():
            if name.startswith("miditok"):
                lines.append(f"- tokenisation only, polyseq remi (programs=False) vs {name}: **{r:.1f}x**")
        lines.append(f"- end to end (parse + tokenise), polyseq remi with symusic installed (the default then) vs "
                     f"miditok REMI: **{ref['end to end, symusic']:.2f}x**")
        lines.append(f"- end to end, polyseq remi with mido (`POLYSEQ_MIDI_PARSER=mido`) vs miditok REMI: "
                     f"**{ref['end to end']:.2f}x**")
        lines.append(f"- parsing alone: symusic is {ref['parse']:.0f}x faster than mido; polyseq's fast reader "
                     f"(census + symusic + Score) {ref['fast reader']:.1f}x faster than mido's parse alone")
        lines.append(f"- the fast reader took symusic's Score for {same[0]} of {n_files} files (the rest went to "
                     f"mido); {same[1]} of {n_files} Scores equal mido's")
        lines.append("")
    else:
        lines += ["miditok is not installed (`pip install miditok`): no reference ratio in this run.", ""]
    t_tok = tok_times["polyseq remi (programs=False)"]
    stages = t_mido + t_conv + t_tok
    lines += [
        "## Where polyseq's time goes",
        "",
        f"With mido (the reference parser), of the three stages (sum {stages:.2f} s), mido's parse takes {t_mido / stages:.0%}, the mido -> Score "
        f"walk {t_conv / stages:.0%} and tokenisation (numpy, one `lexsort` per score) {t_tok / stages:.0%}: "
        "parsing, not tokenising, is the bottleneck there. Profile of `mido.MidiFile` on 200 files (tottime):",
        "",
        "```",
        profile,
        "```",
        "",
        "mido builds one validated Python `Message` object per event (type-checking every field), then "
        "polyseq walks those objects. With symusic installed (`pip install polyseq[midi-fast]`) the reader "
        "skips both: symusic (C++, what miditok uses) pairs the notes, and one pass of Python over the raw "
        "bytes (the census: no object per event) checks that the file holds nothing symusic reads otherwise "
        "than `from_midi` (a note never switched off, a program change while a note sounds, a program set "
        "from another track, anything mido would refuse), and reads tempos and time signatures in mido's "
        "order; a file that fails goes to mido. The census is now the largest part of reading, then making "
        "the `Note` tuples; tokenisation is the largest part end to end.",
        "",
        "## Round-trip fidelity on the same files",
        "",
        "`decode(encode(x)) == normalize(x)` note by note (pitch, quantised start and duration, velocity bin, "
        "program, drum):",
        "",
    ]
    for name, (kept, total) in fidelity["round_trip"].items():
        lines.append(f"- {name}: {kept:,} / {total:,} notes = **{kept / total:.2%}**")
    lines += ["", "What the grid loses (`polyseq_midi.grid.grid_loss`, summed over all files; defaults: "
              "32 velocity bins, max duration 8 beats):", "",
              "| resolution (steps/beat) | notes | onsets not exact | onsets off by > 1 tick "
              "| mean onset error (beats) | durations off by > 1 tick | durations clipped | velocities binned "
              "| time sigs changed |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r, c in fidelity["loss"].items():
        n = c["notes"]
        lines.append(f"| {r} | {n:,.0f} | {c['onsets_not_exact']:,.0f} | {c['onsets_off_grid']:,.0f} "
                     f"({c['onsets_off_grid'] / n:.2%}) | {c['onset_error_beats'] / n:.5f} | "
                     f"{c['durations_off_grid']:,.0f} | {c['durations_clipped']:,.0f} | {c['velocities_binned']:,.0f} "
                     f"| {c['time_signatures_changed']:,.0f} / {c['time_signatures']:,.0f} |")
    lines += ["", "Ticks are integers, so a triplet at 1024 ticks/beat (341.33 ticks) is stored rounded: "
              "'not exact' counts those too; 'off by > 1 tick' is what the grid itself loses. These files have "
              "no tempo events (120 bpm by default); every velocity is 90, which the 32 bins store as 91.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
