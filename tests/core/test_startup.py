"""Commands that do not train never import torch or Lightning (start-up times: BENCHMARKS.md, "Start-up").

A fresh interpreter is the point, so the commands run in one subprocess, in-process one after the
other; the modules a command loaded stay loaded, so the first command that pulls in a heavy module
is the one named.
"""

import json
import os
import subprocess
import sys

HEAVY = ("torch", "pytorch_lightning", "lightning", "lightning_fabric", "torchmetrics")
COMMANDS = [
    ["--help"],
    ["plugins"],
    ["tokenize", "--help"],
    ["tokenize", "--domain", "smiles", "CC(=O)Oc1ccccc1C(=O)O"],
    ["datasets"],  # the catalog list
    ["datasets", "info", "midi_scales"],
]

SCRIPT = """
import contextlib, io, json, sys
import polyseq.cli
heavy, commands, found = json.loads(sys.argv[1]), json.loads(sys.argv[2]), []
for argv in commands:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        try:
            status = polyseq.cli.main(argv)
        except SystemExit as e:
            status = e.code
    found.append([argv, status, out.getvalue()[:200], [m for m in heavy if m in sys.modules]])
print(json.dumps(found))
"""


def test_non_training_commands_never_import_torch_or_lightning(tmp_path):
    env = {**os.environ, "POLYSEQ_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(HEAVY), json.dumps(COMMANDS)], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert [argv for argv, *_ in results] == COMMANDS
    for argv, status, out, loaded in results:
        assert status in (0, None), f"polyseq {' '.join(argv)} exited {status}"
        assert out.strip(), f"polyseq {' '.join(argv)} printed nothing"
        assert loaded == [], f"polyseq {' '.join(argv)} imported {', '.join(loaded)}"


def test_the_check_sees_a_module_a_command_imports(tmp_path):
    """Not vacuous: the same script names a module once a command has loaded it (RDKit, by a SMILES)."""
    commands = [["--help"], ["tokenize", "--domain", "smiles", "CCO"]]
    done = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(["rdkit"]), json.dumps(commands)],
                          env={**os.environ, "POLYSEQ_CACHE": str(tmp_path / "cache")}, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [loaded for *_, loaded in json.loads(done.stdout)] == [[], ["rdkit"]]
