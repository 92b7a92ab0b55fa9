"""`polyseq predict --split val|test` (the run's own split, with the task's metrics) and `--tta N --augment`
(class probabilities or values averaged over a record and N-1 augmented copies)."""

import csv
import random
from pathlib import Path

import pytest

from polyseq import get_domain
from polyseq.cli import main

TINY = ["--model.d_model", "16", "--model.n_layers", "1", "--model.n_heads", "2", "--data.batch_size", "16",
        "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false",
        "--trainer.log_every_n_steps", "1"]
QUIET = ["--trainer.enable_progress_bar", "false"]
MOTIFS = {"a": "ACGTACGT", "b": "TTTTGGGG", "c": "CCCCAAAA"}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A DNA classifier's run folder, trained 6 steps on motifs with a 60/20/20 split and tested after fit."""
    folder = tmp_path_factory.mktemp("tta")
    rng = random.Random(0)
    rows = [(MOTIFS[y] + "".join(rng.choice("ACGT") for _ in range(6)), y) for y in "abc" * 40]
    (folder / "labels.csv").write_text("sequence,label\n" + "".join(f"{s},{y}\n" for s, y in rows))
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        mp.setenv("POLYSEQ_CACHE", str(folder / ".cache"))
        assert main(["fit", "--data.domain", "dna", "--data.train", "labels.csv", "--data.task", "classify",
                     "--data.target", "label", "--data.split_fractions", "[0.6, 0.2, 0.2]", *TINY,
                     "--trainer.max_steps", "6", "--test_after_fit", "true"]) == 0
    return folder / "runs" / "lightning_logs" / "version_0"


def _best(run: Path) -> Path:
    return next((run / "checkpoints").glob("best*.ckpt"))


def _predict(run: Path, out: Path, *args: str, capsys=None) -> dict[str, float]:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(run.parents[2])
        mp.setenv("POLYSEQ_CACHE", str(run.parents[2] / ".cache"))
        assert main(["predict", "--ckpt", str(_best(run)), "--out", str(out), *args, *QUIET]) == 0
    printed = capsys.readouterr().out if capsys is not None else ""
    return {k: float(v) for k, v in (line.split("\t") for line in printed.splitlines() if "\t" in line)}


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_split_metrics_equal_the_test_after_fit_metrics(run, tmp_path, capsys):
    capsys.readouterr()
    printed = _predict(run, tmp_path / "p.csv", "--split", "test", capsys=capsys)
    with open(run / "metrics.csv", newline="") as f:
        logged = [r for r in csv.DictReader(f) if r.get("test/acc")]
    assert len(logged) == 1
    for name in ("acc", "f1", "auroc"):
        assert printed[f"test/{name}"] == pytest.approx(float(logged[0][f"test/{name}"]), abs=1e-5), name
    rows = _rows(tmp_path / "p.csv")
    assert len(rows) == 24 and all(r["target"] in MOTIFS for r in rows)  # 20 % of 120, with their labels


def test_tta_averages_the_probabilities_of_each_record_and_its_copies(run, tmp_path, capsys):
    capsys.readouterr()
    _predict(run, tmp_path / "tta.csv", "--split", "val", "--tta", "3", "--augment", "reverse_complement",
             "--tta-seed", "5", capsys=capsys)
    tta = _rows(tmp_path / "tta.csv")
    plain = _predict(run, tmp_path / "plain.csv", "--split", "val", capsys=capsys)
    assert plain and len(tta) == len(_rows(tmp_path / "plain.csv")) == 24
    # the same copies written to a file and predicted one per row, then averaged here
    flip = get_domain("dna").augmenter(["reverse_complement"])
    samples = [r["id"] for r in tta]
    sequences = _split_sequences(run)
    copies = [[s, flip(s, random.Random(f"5:{i}:1")), flip(s, random.Random(f"5:{i}:2"))]
              for i, s in enumerate(sequences)]
    (tmp_path / "copies.csv").write_text("sequence\n" + "".join(f"{c}\n" for group in copies for c in group))
    _predict(run, tmp_path / "each.csv", "--input", str(tmp_path / "copies.csv"), capsys=capsys)
    each = _rows(tmp_path / "each.csv")
    assert any(group[1] != group[0] for group in copies)  # the augmentation changed some copies
    for i, row in enumerate(tta):
        for label in MOTIFS:
            mean = sum(float(each[3 * i + c][f"prob_{label}"]) for c in range(3)) / 3
            assert float(row[f"prob_{label}"]) == pytest.approx(mean, abs=2e-6), (samples[i], label)


def _split_sequences(run: Path) -> list[str]:
    """The validation sequences, rebuilt from the run's config as `polyseq plot` does."""
    from polyseq.training.pretrained import load_checked
    from polyseq.views.run_folder import Run, read_config, split_records

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(run.parents[2])
        mp.setenv("POLYSEQ_CACHE", str(run.parents[2] / ".cache"))
        records, _ = split_records(Run(run), read_config(Run(run)), load_checked(_best(run)), "val")
    return [r.sample for r in records]


@pytest.mark.parametrize(("args", "message"), [
    (["--split", "val", "--tta", "2"], "--tta needs --augment NAME"),
    (["--split", "val", "--tta", "2", "--augment", "shuffle"],
     "--augment: domain 'dna' has no augmentation 'shuffle'. Available: reverse_complement, random_crop"),
    (["--split", "val", "--augment", "reverse_complement"], "--augment is for --tta N"),
    (["--split", "val", "--tta", "0"], "--tta must be >= 1"),
])
def test_bad_tta_options_are_one_line_errors(run, tmp_path, capsys, args, message):
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(run.parents[2])
        assert main(["predict", "--ckpt", str(_best(run)), "--out", str(tmp_path / "x.csv"), *args, *QUIET]) != 0
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_tta_on_a_language_model_and_split_without_a_run_are_refused(tmp_path, capsys):
    v0 = Path(__file__).parents[1] / "fixtures" / "v0_checkpoints"
    assert main(["predict", "--ckpt", str(v0 / "dna_lm.ckpt"), "--input", str(v0 / "dna_rows.csv"), "--tta", "2",
                 "--augment", "reverse_complement", "--out", str(tmp_path / "x.csv"), *QUIET]) != 0
    assert "--tta: a 'lm' model's predictions cannot be averaged" in capsys.readouterr().err
    assert main(["predict", "--ckpt", str(v0 / "dna_classify.ckpt"), "--split", "test",
                 "--out", str(tmp_path / "x.csv"), *QUIET]) != 0
    err = capsys.readouterr().err
    assert "--split needs the config.yaml of the run that wrote --ckpt" in err and "Traceback" not in err


@pytest.fixture(scope="module")
def more_runs(run) -> tuple[Path, Path]:
    """Beside `run`: the same classifier trained from another seed, and one trained on another split."""
    folder = run.parents[2]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        mp.setenv("POLYSEQ_CACHE", str(folder / ".cache"))
        common = ["fit", "--data.domain", "dna", "--data.train", "labels.csv", "--data.task", "classify",
                  "--data.target", "label", "--data.split_fractions", "[0.6, 0.2, 0.2]", *TINY, "--trainer.max_steps", "6"]
        assert main([*common, "--seed_everything", "1"]) == 0
        assert main([*common, "--data.seed", "1"]) == 0
    return run.parent / "version_1", run.parent / "version_2"


def test_several_checkpoints_average_their_probabilities(run, more_runs, tmp_path, capsys):
    """--ckpt A B: each record's class probabilities are the mean of A's and B's (with --tta, of their
    TTA means), and --split prints the ensemble's metrics on the runs' shared split."""
    other = more_runs[0]
    capsys.readouterr()
    for extra in ([], ["--tta", "3", "--augment", "reverse_complement"]):
        _predict(run, tmp_path / "a.csv", "--split", "val", *extra, capsys=capsys)
        _predict(other, tmp_path / "b.csv", "--split", "val", *extra, capsys=capsys)
        printed = _predict(run, tmp_path / "ab.csv", "--split", "val", *extra, "--ckpt", str(_best(run)), str(_best(other)),
                           capsys=capsys)
        a, b, ab = (_rows(tmp_path / f"{x}.csv") for x in ("a", "b", "ab"))
        assert [r["id"] for r in ab] == [r["id"] for r in a] == [r["id"] for r in b] and len(ab) == 24
        for ra, rb, rab in zip(a, b, ab, strict=True):
            for label in MOTIFS:
                mean = (float(ra[f"prob_{label}"]) + float(rb[f"prob_{label}"])) / 2
                assert float(rab[f"prob_{label}"]) == pytest.approx(mean, abs=2e-6)
            assert rab["prediction"] == max(MOTIFS, key=lambda label: float(rab[f"prob_{label}"]))
        assert {"val/acc", "val/auroc"} <= set(printed)
        assert any(ra["prob_a"] != rb["prob_a"] for ra, rb in zip(a, b, strict=True))  # two different models
    with pytest.MonkeyPatch.context() as mp:  # a shell glob can name several: the ensemble is said aloud
        mp.chdir(run.parents[2])
        mp.setenv("POLYSEQ_CACHE", str(run.parents[2] / ".cache"))
        assert main(["predict", "--ckpt", str(_best(run)), str(_best(other)), "--split", "val",
                     "--out", str(tmp_path / "x.csv"), *QUIET]) == 0
    assert "an ensemble of 2 checkpoints, outputs averaged" in capsys.readouterr().err


def test_an_ensemble_of_other_splits_or_tasks_is_refused(run, more_runs, tmp_path, capsys):
    v0 = Path(__file__).parents[1] / "fixtures" / "v0_checkpoints"
    cases = [
        (["--split", "val", "--ckpt", str(_best(run)), str(_best(more_runs[1]))],
         "has other val records than the run of"),
        (["--input", str(v0 / "dna_rows.csv"), "--ckpt", str(_best(run)), str(v0 / "dna_lm.ckpt")],
         "a 'lm' model's predictions cannot be averaged with other checkpoints'"),
        (["--input", str(v0 / "dna_rows.csv"), "--ckpt", str(_best(run)), str(v0 / "dna_classify.ckpt")],
         "dna_classify.ckpt: labels ("),
    ]
    for args, message in cases:
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(run.parents[2])
            mp.setenv("POLYSEQ_CACHE", str(run.parents[2] / ".cache"))
            assert main(["predict", "--out", str(tmp_path / "x.csv"), *args, *QUIET]) != 0
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, err
