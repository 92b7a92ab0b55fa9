"""Each built-in baseline on small generated data, fitted and scored as `polyseq baseline` does."""

import numpy as np
import pytest

from polyseq.baselines import Baseline, fit_on, make_baseline, score
from polyseq.baselines.run import data_module
from polyseq.errors import ConfigError, UnknownNameError


def fitted(name, seed=0, **data):
    options = data.pop("options", {})
    return fit_on(data_module(data), make_baseline(name, options, seed=seed))


def test_kmer_logistic_regression_finds_a_planted_motif(motif_csv):
    f = fitted("kmer_logreg", domain="dna", train=str(motif_csv), task="classify", target="label",
               split_fractions=[0.7, 0.3])
    assert score(f, "val")["acc"] == 1.0
    assert fitted("majority", domain="dna", train=str(motif_csv), task="classify", target="label",
                  split_fractions=[0.7, 0.3]).records["val"] == f.records["val"]  # the same split for every baseline


def test_majority_predicts_the_train_split_frequencies(motif_csv):
    f = fitted("majority", domain="dna", train=str(motif_csv), task="classify", target="label",
               split_fractions=[0.7, 0.3])
    train, val = f.targets["train"], f.targets["val"]
    majority = np.bincount(train).argmax()
    metrics = score(f, "val")
    assert metrics["acc"] == pytest.approx(float((val == majority).mean()))
    assert metrics["auroc"] == pytest.approx(0.5)  # one score for every record: no ranking
    p = np.bincount(train) / len(train)
    assert metrics["loss"] == pytest.approx(float(-np.log(p[val]).mean()))


def test_tfidf_logistic_regression_separates_two_generated_languages(languages_csv):
    for name in ("word_tfidf", "char_tfidf"):
        f = fitted(name, domain="text", train=str(languages_csv), task="classify", target="label")
        assert score(f, "val")["acc"] == 1.0, name


def test_morgan_random_forest_beats_the_mean_on_crippen_logp(logp_csv):
    data = dict(domain="smiles", train=str(logp_csv), task="regress", target="logp", split_fractions=[0.8, 0.2])
    mean = score(fitted("majority", **data), "val")
    forest = score(fitted("morgan_rf", options={"n_estimators": 50}, **data), "val")
    linear = score(fitted("morgan_linear", **data), "val")
    assert forest["rmse"] < 0.75 * mean["rmse"] and forest["r2"] > 0.5
    assert linear["rmse"] < mean["rmse"]
    assert set(forest) == {"loss", "rmse", "mae", "r2"}  # the regress task's own metric names


def test_two_targets_are_scored_each_on_its_own_scale(logp_csv, tmp_path):
    """The mean of each target explains none of either (pooled into one vector, the gap between logP's
    and TPSA's scales gave the mean predictor an R² of 0.37 in docs/compare/quick)."""
    import csv

    from rdkit import Chem
    from rdkit.Chem import rdMolDescriptors

    with open(logp_csv, newline="") as f:
        rows = [(r["smiles"], r["logp"], round(rdMolDescriptors.CalcTPSA(Chem.MolFromSmiles(r["smiles"])) + 40, 3))
                for r in csv.DictReader(f)]
    two = tmp_path / "two.csv"
    two.write_text("smiles,logp,tpsa\n" + "".join(f"{s},{a},{b}\n" for s, a, b in rows))
    data = dict(domain="smiles", train=str(two), task="regress", target=["logp", "tpsa"], split_fractions=[0.8, 0.2])
    mean = score(fitted("majority", **data), "val")
    assert set(mean) == {"loss", "rmse", "mae", "r2", *(f"{m}_{t}" for m in ("rmse", "mae", "r2") for t in ("logp", "tpsa"))}
    assert mean["r2"] <= 0.0 and mean["r2_logp"] <= 0.0 and mean["r2_tpsa"] <= 0.0  # held-out: slightly below 0
    assert mean["r2"] > -0.2
    assert mean["rmse"] == pytest.approx((mean["rmse_logp"] + mean["rmse_tpsa"]) / 2)


def test_ngram_lm_bits_per_byte_below_8_and_below_the_unigram(prose_txt):
    data = dict(domain="text", train=str(prose_txt), task="lm", reader_options={"mode": "line"})
    five = score(fitted("ngram_lm", **data), "val")["bits_per_byte"]
    one = score(fitted("ngram_lm", options={"order": 1}, **data), "val")["bits_per_byte"]
    assert one < 8 and five < 0.6 * one


def test_ngram_lm_probabilities_sum_to_one_over_the_alphabet():
    from polyseq.baselines.ngram_lm import END, V, NgramLM

    lm = NgramLM(order=3)
    lm.fit(["abracadabra", "abba", "cab"], None, "bits")
    seq = np.array([END, END, ord("a"), ord("b"), 0], dtype=np.int64)  # the context "ab", then each symbol
    total = 0.0
    for symbol in range(V):
        seq[-1] = symbol
        total += lm._probabilities(seq, np.array([4]))[0]
    assert total == pytest.approx(1.0)


def test_a_baseline_that_cannot_read_the_task_or_domain_says_why(motif_csv, prose_txt):
    with pytest.raises(ConfigError, match="baseline 'morgan_rf' reads domain\\(s\\) smiles, not 'dna'"):
        fitted("morgan_rf", domain="dna", train=str(motif_csv), task="classify", target="label")
    with pytest.raises(ConfigError, match="'ngram_lm' predicts bits; the 'classify' task needs classes"):
        fitted("ngram_lm", domain="dna", train=str(motif_csv), task="classify", target="label")
    with pytest.raises(ConfigError, match="has no option\\(s\\) depth. Options: order"):
        make_baseline("ngram_lm", {"depth": 3})
    with pytest.raises(UnknownNameError, match="kmer_logreg"):
        make_baseline("kmer_logre")


def test_a_plugin_registers_a_baseline_and_a_duplicate_name_is_its_failure():
    from polyseq import hookimpl, plugins

    class Longest(Baseline):
        name = "longest"
        outputs = ("values",)

    class Plugin:
        @hookimpl
        def register_baselines(self, register):
            register("longest", Longest, description="length of the sample")
            register("majority", Longest)

    plugins.register(Plugin(), name="fake-baselines")
    try:
        reg = plugins.registry()
        assert reg.baselines["longest"].origin.plugin == "fake-baselines"
        assert reg.baseline_class("longest") is Longest
        failure = [f for f in reg.failures if f.plugin == "fake-baselines"]
        assert "baseline 'majority' is already registered by polyseq" in str(failure[0].error)
    finally:
        plugins.unregister("fake-baselines")
    assert "fake-baselines" not in {f.plugin for f in plugins.registry().failures}
