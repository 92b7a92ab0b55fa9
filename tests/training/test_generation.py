"""Sampling: cached == uncached, reproducible seeds, the sampling knobs, `polyseq generate` and domain writers."""

import ast
import csv
import json
import warnings

import pytest
import torch

from polyseq import ConfigError, get_domain
from polyseq.cli import main
from polyseq.generation import BANNED, SamplingConfig, generate
from polyseq.training.module import SequenceModel

PROMPTS = [[9, 10, 11], [12], [13, 14, 15, 16, 17]]  # different lengths: padding inside the batch


def lm(backbone="transformer", **options):
    torch.manual_seed(0)
    info = {"task": "lm", "vocab_size": 40, "max_length": 64}
    return SequenceModel(backbone=backbone, d_model=32, n_layers=2, n_heads=4, dropout=0.0, data_info=info, **options)


MODELS = {
    "transformer-learned": lambda: lm(),
    "transformer-rope": lambda: lm(backbone_options={"positional": "rope"}),
    "transformer-sinusoidal": lambda: lm(backbone_options={"positional": "sinusoidal"}),
    "lstm": lambda: lm("rnn"),
    "gru": lambda: lm("rnn", backbone_options={"cell": "gru"}),
}


@pytest.mark.parametrize("name", list(MODELS), ids=list(MODELS))
def test_cached_and_uncached_greedy_decoding_agree(name):
    model = MODELS[name]()
    cfg = SamplingConfig(max_new_tokens=20, temperature=0)
    cached = generate(model, PROMPTS, cfg, use_cache=True)
    assert cached == generate(model, PROMPTS, cfg, use_cache=False)
    assert all(len(c) == 20 for c in cached)  # an untrained model rarely says <eos>; lengths are exact


@pytest.mark.parametrize("name", ["transformer-rope", "lstm"])
def test_cached_and_uncached_sampling_agree_under_one_seed(name):
    model = MODELS[name]()
    cfg = SamplingConfig(max_new_tokens=15, temperature=0.9, top_k=10, top_p=0.9, repetition_penalty=1.3, seed=7)
    assert generate(model, PROMPTS, cfg) == generate(model, PROMPTS, cfg, use_cache=False)


def test_seeds_reproduce_and_differ():
    model = lm()
    a = generate(model, [[]] * 4, SamplingConfig(max_new_tokens=12, seed=1))
    assert a == generate(model, [[]] * 4, SamplingConfig(max_new_tokens=12, seed=1))
    assert a != generate(model, [[]] * 4, SamplingConfig(max_new_tokens=12, seed=2))


def test_top_k_1_is_greedy_and_special_tokens_are_never_sampled():
    model = lm()
    greedy = generate(model, PROMPTS, SamplingConfig(max_new_tokens=10, temperature=0))
    assert generate(model, PROMPTS, SamplingConfig(max_new_tokens=10, temperature=1.5, top_k=1, seed=3)) == greedy
    assert generate(model, PROMPTS, SamplingConfig(max_new_tokens=10, top_p=1e-6, seed=3)) == greedy
    hot = generate(model, [[]] * 8, SamplingConfig(max_new_tokens=30, temperature=5.0, seed=0))
    assert not {t for s in hot for t in s} & set(BANNED)


def test_repetition_penalty_discourages_repeats():
    model = lm()
    plain = generate(model, [[]], SamplingConfig(max_new_tokens=40, temperature=0))[0]
    penalised = generate(model, [[]], SamplingConfig(max_new_tokens=40, temperature=0, repetition_penalty=5.0))[0]
    assert len(set(penalised)) > len(set(plain))


def test_bad_sampling_options_are_reported_together():
    with pytest.raises(ConfigError) as info:
        SamplingConfig(max_new_tokens=0, temperature=-1, top_p=1.5)
    assert len(info.value.problems) == 3 and "--top-p must be in (0, 1]" in str(info.value)


def test_encoder_checkpoints_cannot_generate():
    model = SequenceModel(d_model=16, n_layers=1, n_heads=2, data_info={"task": "mlm", "vocab_size": 20})
    with pytest.raises(ConfigError, match="causal LM"):
        generate(model, [[]], SamplingConfig(max_new_tokens=3))


def test_generate_command_writes_smiles_and_their_metrics(tmp_path, monkeypatch, capsys):
    from rdkit import Chem, RDConfig

    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    smi = tmp_path / "train.smi"
    with open(f"{RDConfig.RDDataDir}/NCI/first_5K.smi") as f:
        lines = f.read().splitlines()[:300]
    smi.write_text("\n".join(lines) + "\n")
    root = tmp_path / "run"
    assert main(["fit", "--data.domain=smiles", f"--data.train={smi}", "--data.task=lm", "--data.max_length=64",
                 "--data.batch_size=16", "--model.d_model=32", "--model.n_layers=1", "--model.n_heads=2",
                 "--trainer.max_steps=20", "--trainer.enable_progress_bar=false", f"--trainer.default_root_dir={root}",
                 f"--trainer.logger.init_args.save_dir={root}"]) == 0
    with open(next(root.rglob("metrics.csv"))) as f:
        metrics_rows = list(csv.DictReader(f))
    assert any(r.get("val/gen_validity") for r in metrics_rows), "the fit callback logs generated-sample metrics"
    capsys.readouterr()  # the fit's own output
    out = tmp_path / "gen.smi"
    ckpt = next(root.rglob("last.ckpt"))
    with warnings.catch_warnings():  # a 20-step byte-fallback model can emit line breaks: the writer counts them
        warnings.filterwarnings("ignore", message=".*held line breaks, written as U\\+FFFD", category=UserWarning)
        assert main(["generate", "--ckpt", str(ckpt), "-n", "6", "--batch-size", "4", "--max-new-tokens", "40",
                     "--prompt", "CC", "--reference", str(smi), "--out", str(out)]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert {"validity", "uniqueness", "novelty"} <= set(metrics)
    samples = [line.split()[0] for line in out.read_text().splitlines() if line.strip()]
    assert len(samples) == 6 and all(s.startswith("CC") for s in samples)
    assert metrics["validity"] == sum(Chem.MolFromSmiles(s) is not None for s in samples) / 6
    saved = json.loads((tmp_path / "gen.smi.metrics.json").read_text())
    assert saved["metrics"] == metrics and saved["n"] == 6


def test_domain_writers_produce_files_their_libraries_read(tmp_path):
    import mido
    from Bio import SeqIO
    from rdkit import Chem

    smiles = get_domain("smiles")
    [path] = smiles.part("writer")(list(smiles.examples), tmp_path / "m.smi")
    mols = [Chem.MolFromSmiles(line.split()[0]) for line in path.read_text().splitlines() if line.strip()]
    assert len(mols) == len(smiles.examples) and all(mols)

    dna = get_domain("dna")
    [path] = dna.part("writer")(list(dna.examples), tmp_path / "s.fa")
    assert [str(r.seq) for r in SeqIO.parse(path, "fasta")] == list(dna.examples)  # soft-masking kept

    midi = get_domain("midi")
    paths = midi.part("writer")(list(midi.examples), tmp_path / "songs")
    assert len(paths) == len(midi.examples)
    assert all(sum(m.type == "note_on" for t in mido.MidiFile(p).tracks for m in t) > 0 for p in paths)

    code = get_domain("code")
    python = [s for s in code.examples if getattr(s, "language", "Python") == "Python"]
    for p in code.part("writer")(python, tmp_path / "code"):
        ast.parse(p.read_text())


def test_generate_midi_from_a_prompt_file_writes_playable_files(tmp_path, monkeypatch, capsys):
    import mido

    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "run"
    assert main(["fit", "--data.dataset=midi_scales", "--data.max_length=64", "--data.batch_size=8",
                 "--model.d_model=32", "--model.n_layers=1", "--model.n_heads=2", "--trainer.max_steps=5",
                 "--trainer.limit_val_batches=1", "--trainer.enable_progress_bar=false",
                 f"--trainer.default_root_dir={root}", f"--trainer.logger.init_args.save_dir={root}"]) == 0
    prompt = get_domain("midi").part("writer")([get_domain("midi").examples[0]], tmp_path / "prompt")[0]
    capsys.readouterr()
    out = tmp_path / "songs"
    assert main(["generate", "--ckpt", str(next(root.rglob("last.ckpt"))), "-n", "3", "--max-new-tokens", "60",
                 "--prompt-file", str(prompt), "--out", str(out), "--seed", "4"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    files = sorted(tmp_path.glob("songs_*.mid"))  # a stem: songs_0000.mid ...
    assert len(files) == 3 and all(mido.MidiFile(f).length > 0 for f in files)
    assert 0 <= metrics["well_formed"] <= 1
