"""`polyseq new-domain`: the package it writes installs, passes the conformance kit and trains.

The acceptance run is what a user types: `polyseq new-domain rna --out DIR && pip install -e DIR &&
pytest DIR`, then `polyseq fit` on the labelled example file. It installs into a throw-away
virtual environment layered over this one (so the test environment never gains an `rna` domain),
offline: the package needs nothing from an index.
"""

import importlib.util
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from polyseq.cli import main
from polyseq.errors import ConfigError
from polyseq.scaffold import labelled_rows, write_domain_package


def _layered_venv(folder: Path) -> Path:
    """A venv whose site-packages also reads this environment's (polyseq, torch, pytest...)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = folder / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    here = sysconfig.get_paths()["purelib"]
    (site / "_polyseq_parent.pth").write_text(f"import site; site.addsitedir({here!r})\n")
    return folder / "bin" / "python"


def _run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "HOME": str(cwd)}
    return subprocess.run([str(python), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_new_domain_installs_passes_the_kit_and_trains(tmp_path):
    out = tmp_path / "polyseq-rna"
    assert main(["new-domain", "rna", "--alphabet", "ACGU", "--out", str(out)]) == 0
    python = _layered_venv(tmp_path / "venv")
    installed = _run(python, "-m", "pip", "install", "-q", "--no-index", "--no-build-isolation", "--no-deps",
                     "-e", str(out), cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    # the new package, not examples/polyseq-rna (installed in the parent environment), is the `rna` domain
    listed = _run(python, "-m", "polyseq", "plugins", cwd=tmp_path)
    assert "rna sequences (edit this line" in listed.stdout and str(out) in _run(
        python, "-c", "import polyseq_rna; print(polyseq_rna.__file__)", cwd=tmp_path).stdout
    kit = _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out), cwd=tmp_path)
    assert kit.returncode == 0, kit.stdout[-3000:]
    assert " passed" in kit.stdout and "failed" not in kit.stdout
    fit = _run(python, "-m", "polyseq", "fit", "--data.domain", "rna", "--data.train", str(out / "data" / "rna_labelled.csv"),
               "--data.task", "classify", "--data.target", "label", "--trainer.max_steps", "8",
               "--model.d_model", "16", "--model.n_layers", "1", "--trainer.enable_progress_bar", "false",
               cwd=tmp_path)
    assert fit.returncode == 0, fit.stderr[-3000:]
    assert "polyseq fit: 8 steps" in fit.stdout and "polyseq predict --ckpt" in fit.stdout


@pytest.mark.parametrize("alphabet", ["01", "ACDEFGHIKLMNPQRSTVWY", "ab"])
def test_the_generated_module_works_for_other_alphabets(tmp_path, alphabet):
    out = tmp_path / "pkg"
    write_domain_package("toy", out, alphabet=alphabet)
    spec = importlib.util.spec_from_file_location("polyseq_toy_probe", out / "src" / "polyseq_toy" / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for sample in module.EXAMPLES:
        assert module.validate(sample) is None
        tok = module.Symbol()
        assert tok.decode(tok.encode(sample)) == sample
        kmer = module.Kmer()
        assert kmer.decode(kmer.encode(sample)) == sample
    assert module.validate(alphabet[0] + "@") is not None
    rows = labelled_rows(alphabet)
    assert sum(y == "motif" for _, y in rows) == len(rows) // 2


def test_bad_names_alphabets_and_non_empty_folders_are_clear_errors(tmp_path, capsys):
    with pytest.raises(ConfigError, match="lower-case"):
        write_domain_package("RNA", tmp_path / "a")
    with pytest.raises(ConfigError, match="at least two different"):
        write_domain_package("rna", tmp_path / "b", alphabet="AA")
    with pytest.raises(ConfigError, match="cannot be sequence symbols"):
        write_domain_package("rna", tmp_path / "c", alphabet="A C")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "keep.txt").write_text("mine")
    assert main(["new-domain", "rna", "--out", str(tmp_path / "d")]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (tmp_path / "d" / "keep.txt").read_text() == "mine"
