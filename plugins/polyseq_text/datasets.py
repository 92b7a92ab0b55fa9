"""Catalog entries of the text domain: Tiny Shakespeare, the SMS Spam Collection, Python's docs.

`DATASETS` is what the plugin registers (`register_datasets`). Importing this module imports
nothing heavy; files are fetched on first use (`polyseq datasets fetch NAME`).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from polyseq import DatasetEntry, RemoteFile, TaskSpec, hookimpl

_RAW = "https://raw.githubusercontent.com"


def append_final_newline(downloaded: Path, out: Path) -> None:
    """The SMS Spam Collection copy lacks a final newline; the stored file has one (nothing else changes)."""
    data = Path(downloaded).read_bytes()
    Path(out).write_bytes(data if data.endswith(b"\n") else data + b"\n")


def generate_pydoc_topics(folder: Path, seed: int) -> None:
    """Python's own documentation (`pydoc_data.topics`: the language reference topics `help()` shows).

    One JSON object per topic, `{"topic": name, "text": text}`; the topics are shuffled with `seed`
    and split 90 % / 10 % into train.jsonl and val.jsonl. The text is the documentation of the
    running Python version, so the bytes are the same for the same seed and Python version.
    """
    from pydoc_data.topics import topics

    names = sorted(topics)
    random.Random(seed).shuffle(names)
    n_val = max(1, len(names) // 10)
    for split, part in (("val", names[:n_val]), ("train", names[n_val:])):
        with open(Path(folder) / f"{split}.jsonl", "w", encoding="utf-8", newline="\n") as f:
            for name in part:
                f.write(json.dumps({"topic": name, "text": topics[name]}, ensure_ascii=False) + "\n")


TINY_SHAKESPEARE = DatasetEntry(
    name="tinyshakespeare",
    domain="text",
    description="Tiny Shakespeare: 1.1 M characters of Shakespeare's plays (char-rnn); character-level LM",
    licence="public domain text; char-rnn repository MIT",
    citation="A. Karpathy, char-rnn (2015), data/tinyshakespeare",
    homepage="https://github.com/karpathy/char-rnn",
    files=(RemoteFile(
        "input.txt",
        url=f"{_RAW}/karpathy/char-rnn/6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e/data/tinyshakespeare/input.txt",
        sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
        size=1_115_394,
        mirror_path="text/tinyshakespeare/input.txt",
    ),),
    tasks=(TaskSpec("lm", reader_options={"mode": "paragraph"},
                    description="one record per speech (paragraph); the usual split is 90 % / 10 %"),),
)

SMS_SPAM = DatasetEntry(
    name="sms_spam",
    domain="text",
    description="SMS Spam Collection v.1: 5,574 messages labelled ham/spam",
    licence="CC BY 4.0 (UCI Machine Learning Repository)",
    citation="T. A. Almeida, J. M. Gomez Hidalgo, A. Yamakami, Contributions to the study of SMS spam "
             "filtering: new collection and results, DocEng 2011 (UCI dataset 228)",
    homepage="https://archive.ics.uci.edu/dataset/228/sms+spam+collection",
    files=(RemoteFile(
        "SMSSpamCollection.tsv",
        url=f"{_RAW}/EvilPort2/Spam-Detection/d12b3145850a1731c5be62bb03d5e2f416a81cf7/SMSSpamCollection",
        # the upstream bytes are the stored copy without its final newline (the only processing)
        sha256="edc1f2ca36319ca36c6f80fede2f6ae5f81335289352485f3924df077ec20266",
        size=477_906,
        mirror_path="text/sms_spam/SMSSpamCollection",
        mirror_sha256="7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d",
        process="polyseq_text.datasets:append_final_newline",
        note="stored as .tsv (label<TAB>text, no header) with a final newline appended",
    ),),
    tasks=(
        TaskSpec("classify", target="label", reader_options={"header": False, "column": 1, "target": 0},
                 description="spam vs ham (4,827 ham, 747 spam)"),
        TaskSpec("lm", reader_options={"header": False, "column": 1}),
    ),
)

PYDOC_TOPICS = DatasetEntry(
    name="pydoc_topics",
    domain="text",
    description="Offline: Python's own documentation topics (pydoc_data), for a small text LM",
    licence="PSF License (Python documentation)",
    citation="Python Software Foundation, The Python Language Reference (pydoc_data.topics)",
    generator="polyseq_text.datasets:generate_pydoc_topics",
    splits={"train": ["train.jsonl"], "val": ["val.jsonl"]},
    tasks=(TaskSpec("lm", description="one record per documentation topic"),),
    notes="generated from the running Python's pydoc_data; same seed and Python version, same bytes",
)

DATASETS = (TINY_SHAKESPEARE, SMS_SPAM, PYDOC_TOPICS)


@hookimpl
def register_datasets(register):  # noqa: ANN001, ANN201 - the hook's register callback
    for entry in DATASETS:
        register(entry)
