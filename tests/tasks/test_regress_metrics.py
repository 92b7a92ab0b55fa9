"""The regress task's metrics: each target on its own scale, equal to scikit-learn's per-target figures."""

import numpy as np
import pytest
import torch
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from polyseq.data.info import DataInfo
from polyseq.tasks import get_task


def _computed(names, preds, target, batch=32):
    metrics = get_task("regress").metrics(DataInfo(domain="smiles", task="regress", vocab_size=10, target_names=names))
    for i in range(0, len(target), batch):  # streamed over batches, as validation does
        metrics.update(torch.tensor(preds[i:i + batch]).float(), torch.tensor(target[i:i + batch]).float())
    return {k: float(v) for k, v in metrics.compute().items()}


def test_two_targets_on_different_scales_are_scored_each_on_its_own():
    rng = np.random.default_rng(0)
    y = np.stack([rng.normal(2, 1, 300), rng.normal(60, 20, 300)], 1)  # like logP and TPSA
    p = y + rng.normal(0, [0.5, 5.0], y.shape)
    got = _computed(["logP", "TPSA"], p, y)
    r2 = r2_score(y, p, multioutput="raw_values")
    rmse = np.sqrt(mean_squared_error(y, p, multioutput="raw_values"))
    mae = mean_absolute_error(y, p, multioutput="raw_values")
    for i, name in enumerate(["logP", "TPSA"]):
        assert got[f"r2_{name}"] == pytest.approx(r2[i], abs=1e-5)
        assert got[f"rmse_{name}"] == pytest.approx(rmse[i], rel=1e-5)
        assert got[f"mae_{name}"] == pytest.approx(mae[i], rel=1e-5)
    assert got["r2"] == pytest.approx(r2.mean(), abs=1e-5) and got["rmse"] == pytest.approx(rmse.mean(), rel=1e-5)


def test_predicting_each_targets_mean_explains_nothing():
    # pooled into one vector, the gap between the two targets' means counted as explained variance (R² ~ 0.37)
    rng = np.random.default_rng(1)
    y = np.stack([rng.normal(2, 1, 200), rng.normal(60, 20, 200)], 1)
    got = _computed(["logP", "TPSA"], np.broadcast_to(y.mean(0), y.shape), y)
    assert got["r2"] == pytest.approx(0.0, abs=1e-6) and got["r2_logP"] == pytest.approx(0.0, abs=1e-6)


def test_one_target_keeps_the_three_plain_names():
    rng = np.random.default_rng(2)
    y = rng.normal(-3, 2, 100)
    p = y + rng.normal(0, 1, 100)
    got = _computed(["logS"], p, y)
    assert set(got) == {"rmse", "mae", "r2"}
    assert got["rmse"] == pytest.approx(np.sqrt(mean_squared_error(y, p)), rel=1e-5)
    assert got["r2"] == pytest.approx(r2_score(y, p), abs=1e-5)
