"""`polyseq generate --explain / --plot` and `polyseq.views.explain` on a tiny LM of every domain.

Each domain's LM is trained in this process for a few steps on the domain's own examples (what the
plugin ships), saved as a checkpoint, and explained: the recorded probabilities are checked against
a softmax recomputed here from the model and the prefix, without the KV cache.
"""

import json

import pytest
import torch
import torch.nn.functional as F

from polyseq import get_domain
from polyseq.cli import main
from polyseq.generation import BANNED, SamplingConfig
from polyseq.testing.inputs import prepare_tokenizer
from polyseq.tokenizers.base import EOS_ID
from polyseq.tokenizers.serialization import tokenizer_to_dict
from polyseq.training.module import SequenceModel
from polyseq.views.explain import explain, format_table

DOMAINS = ["text", "dna", "smiles", "midi", "latex", "code"]
QUIET = ["--trainer.enable_progress_bar", "false"]


@pytest.fixture(scope="module", params=DOMAINS, ids=DOMAINS)
def tiny_lm(request, tmp_path_factory):
    """(model, checkpoint path, an example sample) - an LM trained for 8 steps on the domain's examples."""
    domain = get_domain(request.param)
    examples = list(domain.examples)
    tokenizer = prepare_tokenizer(domain.make_tokenizer(), examples)
    torch.manual_seed(0)
    info = {"task": "lm", "vocab_size": tokenizer.vocab_size, "domain": domain.name, "max_length": 64,
            "tokenizer": tokenizer_to_dict(tokenizer)}
    model = SequenceModel(d_model=16, n_layers=1, n_heads=2, dropout=0.0, data_info=info)
    stream = [i for x in examples for i in [EOS_ID, *tokenizer.encode(x)]][:64 * 4]
    blocks = torch.tensor(stream[: len(stream) // 16 * 16]).view(-1, 16)
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(8):
        logits = model.head(model.backbone(blocks[:, :-1]))
        loss = F.cross_entropy(logits.flatten(0, 1), blocks[:, 1:].flatten())
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    path = tmp_path_factory.mktemp(f"lm-{domain.name}") / "tiny.ckpt"
    torch.save({"hyper_parameters": json.loads(json.dumps(dict(model.hparams))), "state_dict": model.state_dict()}, path)
    return model, path, examples[0]


def sampler_distribution(logits, cfg):
    """What the sampler should draw from, written out here: banned ids out, temperature, top-k."""
    logits = logits.float().clone()
    logits[list(BANNED)] = float("-inf")
    logits = logits / cfg.temperature
    kth = logits.topk(cfg.top_k).values[-1]
    return logits.masked_fill(logits < kth, float("-inf")).softmax(-1)


def test_explained_probabilities_are_the_models_softmax_and_the_samplers(tiny_lm):
    model, _, example = tiny_lm
    tokenizer = model.tokenizer()
    prompt = tokenizer.decode(tokenizer.encode(example)[:3])
    cfg = SamplingConfig(max_new_tokens=6, temperature=0.8, top_k=4, seed=3)
    explanation = explain(model, [None, prompt, None], cfg, k=3)
    assert explanation.samples == model.task.generate(model, [None, prompt, None], {"sampling": cfg})
    assert [s.sample for s in explanation.steps] == sorted(s.sample for s in explanation.steps)
    for index, prompt_sample in enumerate([None, prompt, None]):
        steps = explanation.of_sample(index)
        assert 1 <= len(steps) <= 6 and [s.step for s in steps] == list(range(len(steps)))
        prefix = [EOS_ID, *([] if prompt_sample is None else tokenizer.encode(prompt_sample))]
        for s in steps:
            logits = model.head(model.backbone(torch.tensor([prefix])))[0, -1]
            raw, sampler = logits.softmax(-1), sampler_distribution(logits, cfg)
            assert len(s.top) == 3
            assert sum(c.p for c in s.top) <= 1 + 1e-6 and sum(c.p_raw for c in s.top) <= 1 + 1e-6
            for c in [*s.top, s]:
                assert c.p_raw == pytest.approx(raw[c.id].item(), abs=1e-5)
                assert c.p == pytest.approx(sampler[c.id].item(), abs=1e-5)
                assert c.token == tokenizer.id_to_token(c.id)
            assert [c.p for c in s.top] == sorted((c.p for c in s.top), reverse=True)
            assert s.p > 0 and s.id not in BANNED
            prefix.append(s.id)
        # the chosen tokens are the emitted ones: they decode to the sample, and only the last may be <eos>
        assert all(s.id != EOS_ID for s in steps[:-1])
        assert len(steps) == 6 or steps[-1].id == EOS_ID
        ids = [s.id for s in steps if s.id != EOS_ID]
        assert tokenizer.decode(prefix[1 : len(prefix) - len(steps)] + ids) == explanation.samples[index]


def test_greedy_puts_all_of_p_on_the_argmax(tiny_lm):
    model, _, _ = tiny_lm
    cfg = SamplingConfig(max_new_tokens=4, temperature=0)
    explanation = explain(model, [None], cfg, k=2)
    assert explanation.samples == model.task.generate(model, [None], {"sampling": cfg})
    for s in explanation.steps:
        assert s.p == 1.0 and s.top[0].id == s.id and s.top[1].p == 0.0
        allowed = [c for c in s.top if c.id not in BANNED]
        assert s.p_raw == max(c.p_raw for c in allowed)
    table = format_table(explanation)
    assert "greedy" in table and table.count("\n*") == 0 and table.count(" *") >= len(explanation.steps)


def test_generate_explain_writes_jsonl_and_a_plot(tiny_lm, tmp_path, capsys):
    from matplotlib.image import imread

    _, path, _ = tiny_lm
    out, png = tmp_path / "steps.jsonl", tmp_path / "steps.png"
    assert main(["generate", "--ckpt", str(path), "-n", "3", "--batch-size", "2", "--max-new-tokens", "5",
                 "--explain", "4", "--out", str(out), "--plot", str(png), "--plot-steps", "3", *QUIET]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["sample"] for r in records} == {0, 1, 2}
    for r in records:
        assert set(r) == {"sample", "step", "id", "token", "p", "p_raw", "top"} and len(r["top"]) == 4
        assert sum(c["p"] for c in r["top"]) <= 1 + 1e-6
        assert r["p"] > 0 and r["token"] == r["top"][0]["token"] if r["id"] == r["top"][0]["id"] else True
        shown = {c["id"]: c["p"] for c in r["top"]}
        assert shown[r["id"]] == r["p"] if r["id"] in shown else r["p"] <= r["top"][-1]["p"]
    assert imread(png).shape[2] in (3, 4)
    assert capsys.readouterr().out == ""  # the records went to --out


@pytest.mark.parametrize("tiny_lm", ["dna"], indirect=True)  # format_table runs on every domain above
def test_generate_explain_prints_the_table_of_the_samples_generate_writes(tiny_lm, tmp_path, capsys):
    from Bio import SeqIO

    _, path, _ = tiny_lm
    args = ["generate", "--ckpt", str(path), "-n", "3", "--batch-size", "2", "--max-new-tokens", "6", "--seed", "4", *QUIET]
    assert main([*args, "--explain"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("next-token choices, top 5 by p. p = the sampler's probability (temperature 1,")
    assert "raw = softmax of the model's logits" in table[0]
    rows = [line for line in table if line[:4].strip().isdigit()]
    assert 3 <= len(rows) <= 18 and all(line.count("*") <= 1 for line in rows)
    assert main([*args, "--out", str(tmp_path / "s.fa")]) == 0
    written = [str(r.seq) for r in SeqIO.parse(tmp_path / "s.fa", "fasta")]
    assert [line[4:] for line in table if line.startswith("  = ")] == written


def test_a_seq2seq_model_is_refused_in_one_line(tmp_path, capsys):
    domain = get_domain("dna")
    tokenizer = tokenizer_to_dict(domain.make_tokenizer())
    info = {"task": "seq2seq", "vocab_size": 12, "domain": "dna", "tokenizer": tokenizer, "max_length": 16,
            "target_domain": "dna", "target_tokenizer": tokenizer, "target_vocab_size": 12}
    model = SequenceModel(d_model=8, n_layers=1, n_heads=2, data_info=info)
    path = tmp_path / "s2s.ckpt"
    torch.save({"hyper_parameters": json.loads(json.dumps(dict(model.hparams))), "state_dict": model.state_dict()}, path)
    source = tmp_path / "in.fa"
    source.write_text(">a\nACGT\n")
    assert main(["generate", "--ckpt", str(path), "--input", str(source), "--explain", *QUIET]) == 2
    err = capsys.readouterr().err
    assert "--explain and --plot show the steps of prompt generation" in err and "Traceback" not in err


@pytest.mark.parametrize(("extra", "message"), [
    ([], "--out is required"),
    (["--explain", "0"], "--explain K and --plot-steps must be >= 1"),
    (["--plot", "steps.txt"], "--plot steps.txt: matplotlib cannot write .txt"),  # before any model is read
])
def test_generate_explain_option_errors(extra, message, tmp_path, capsys):
    assert main(["generate", "--ckpt", str(tmp_path / "none.ckpt"), *extra]) == 2
    assert message in capsys.readouterr().err
