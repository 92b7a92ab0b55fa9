"""Catalog entries of the LaTeX domain: im2latex-100k (validation), MATH-500 subjects, sympy formulas.

`DATASETS` is what `register_datasets` registers. Importing this module imports neither sympy nor
anything else heavy.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from polyseq import DatasetEntry, RemoteFile, TaskSpec, hookimpl

_RAW = "https://raw.githubusercontent.com"
KINDS = ("polynomial", "rational", "trigonometric", "exponential", "derivative", "integral", "sum", "limit")


def im2latex_formulas(downloaded: Path, out: Path) -> None:
    """The `formula` column of im2latex_validate.csv, one formula per line (read with Python's csv)."""
    with open(downloaded, newline="", encoding="utf-8") as f, open(out, "w", encoding="utf-8", newline="\n") as o:
        for row in csv.DictReader(f):
            o.write(row["formula"] + "\n")


def math500_subset(downloaded: Path, out: Path) -> None:
    """400 of the 500 MATH-500 records (0-based line number modulo 5 is not 4), fields renamed to
    `unique_id, subject, level (int), problem, solution, answer` as in the reference copy."""
    with open(downloaded, encoding="utf-8") as f, open(out, "w", encoding="utf-8", newline="\n") as o:
        for i, line in enumerate(f):
            if i % 5 == 4 or not line.strip():
                continue
            obj = json.loads(line)
            level = obj["level"]
            record = {
                "unique_id": obj["unique_id"], "subject": obj["subject"],
                "level": int(level.split()[-1]) if isinstance(level, str) else level,
                "problem": obj.get("Question", obj.get("problem")), "solution": obj["solution"],
                "answer": obj.get("Answer", obj.get("answer")),
            }
            o.write(json.dumps(record) + "\n")


def _expression(kind: str, rng: random.Random):  # noqa: ANN202 - a sympy expression
    import sympy as sp

    x, y, n = sp.symbols("x y n")
    var = rng.choice((x, y))
    c = [rng.randint(-9, 9) or 1 for _ in range(4)]
    poly = sum(ci * var**i for i, ci in enumerate(c[: rng.randint(2, 4)]))
    if kind == "polynomial":
        return sp.expand(poly * (var + rng.randint(1, 5)))
    if kind == "rational":
        return poly / (var**2 + rng.randint(1, 9))
    if kind == "trigonometric":
        f, g = rng.sample((sp.sin, sp.cos, sp.tan), 2)
        return c[0] * f(c[1] * var) + g(var) ** 2
    if kind == "exponential":
        return sp.exp(c[0] * var) * sp.log(var + rng.randint(1, 9))
    if kind == "derivative":
        return sp.Derivative(poly * sp.sin(var), var)
    if kind == "integral":
        return sp.Integral(poly, (var, 0, rng.randint(1, 9)))
    if kind == "sum":
        return sp.Sum(1 / n ** rng.randint(2, 4) + c[0] * n, (n, 1, rng.choice((10, 100, sp.oo))))
    return sp.Limit((sp.sin(c[0] * var) + poly) / var, var, rng.choice((0, sp.oo)))


def generate_sympy_formulas(folder: Path, seed: int, n_per_kind: int = 100) -> None:
    """Random formulas built with sympy and printed by `sympy.latex`, labelled by expression kind.

    Kinds: polynomial, rational, trigonometric, exponential, derivative, integral, sum, limit
    (`n_per_kind` each, shuffled with `seed`). `formulas.jsonl` holds `{"formula", "label"}`;
    `formulas.lst` the same formulas one per line (LM). Same seed and sympy version, same bytes.
    """
    from sympy import latex

    rng = random.Random(seed)
    rows = [(latex(_expression(kind, rng)), kind) for kind in KINDS for _ in range(n_per_kind)]
    rng.shuffle(rows)
    folder = Path(folder)
    with open(folder / "formulas.jsonl", "w", encoding="utf-8", newline="\n") as f:
        f.writelines(json.dumps({"formula": formula, "label": kind}) + "\n" for formula, kind in rows)
    with open(folder / "formulas.lst", "w", encoding="utf-8", newline="\n") as f:
        f.writelines(formula + "\n" for formula, _ in rows)


IM2LATEX = DatasetEntry(
    name="im2latex_val",
    domain="latex",
    description="im2latex-100k validation split: 8,308 tokenized LaTeX formulas from arXiv papers; LaTeX LM",
    licence="research dataset; no licence file in the copy used (CC BY 4.0 reported upstream, not verified)",
    citation="Y. Deng, A. Kanervisto, J. Ling, A. M. Rush, Image-to-Markup Generation with Coarse-to-Fine "
             "Attention, ICML 2017",
    homepage="https://github.com/harvardnlp/im2markup",
    files=(RemoteFile(
        "formulas.lst",
        url=f"{_RAW}/glingley/BME450-project/e691e2e054e11055a025c8188af2bf0dfa7caff7/im2latex_validate.csv",
        sha256="2cbe244b14ef1a16247647ffd39a0a10f8bc330f1aa56240b1a326d5c117f331",
        size=1_393_389,
        mirror_path="latex/im2latex_validate/formulas.lst",
        mirror_sha256="e127d8056b3571afe8432f4b9dc1a75390f857bd4342156fb34c76d7bdb13e6f",
        process="polyseq_latex.datasets:im2latex_formulas",
        note="downloads im2latex_validate.csv (formula,image) and keeps the formula column, one per line",
    ),),
    tasks=(TaskSpec("lm", description="normalized formulas, tokens separated by spaces"),),
)

MATH500 = DatasetEntry(
    name="math500_subjects",
    domain="latex",
    description="MATH-500 (400 of 500 problems) labelled by subject (7 classes) and level (1-5)",
    licence="MIT (MATH; prm800k); copying repository MIT",
    citation="D. Hendrycks et al., Measuring Mathematical Problem Solving With the MATH Dataset, NeurIPS 2021; "
             "H. Lightman et al., Let's Verify Step by Step, 2023 (MATH-500 subset)",
    files=(RemoteFile(
        "math500_dev.jsonl",
        url=f"{_RAW}/vacuum-sheep/streaming-llm/473ed405e5e3fcb849c29c8d7eca6f0025675101/data/MATH500.jsonl",
        sha256=None,
        mirror_path="latex/math500_subjects/math500_dev.jsonl",
        mirror_sha256="af34226b2f357361b2bfa5de76e085454e96a24eadbce4e9e77902a3e93d93d9",
        process="polyseq_latex.datasets:math500_subset",
        note="upstream checksum unknown; the download is cut to 400 records and its fields renamed "
             "(Question->problem, Answer->answer, 'Level N'->N), then compared with the reference copy",
    ),),
    tasks=(
        TaskSpec("classify", target="subject", reader_options={"column": "problem", "target": "subject"},
                 description="7 subjects from the problem text (prose with $...$ math); level is another label"),
        TaskSpec("lm", reader_options={"column": "problem", "extract": True},
                 description="the math spans of the problems"),
    ),
)

SYMPY = DatasetEntry(
    name="sympy_formulas",
    domain="latex",
    description="Offline: 800 random sympy expressions printed as LaTeX, labelled by kind (8 classes)",
    licence="generated by polyseq (no restrictions)",
    citation="polyseq synthetic data; A. Meurer et al., SymPy, PeerJ Comput. Sci. 3 (2017) e103",
    generator="polyseq_latex.datasets:generate_sympy_formulas",
    splits={"train": ["formulas.jsonl"]},
    tasks=(
        TaskSpec("classify", target="label", reader_options={"target": "label"},
                 description=", ".join(KINDS)),
        TaskSpec("lm", splits={"train": ["formulas.lst"]}),
    ),
    notes="generated with the installed sympy; same seed and sympy version, same bytes",
)

DATASETS = (IM2LATEX, MATH500, SYMPY)


@hookimpl
def register_datasets(register):  # noqa: ANN001, ANN201 - the hook's register callback
    for entry in DATASETS:
        register(entry)
