"""The classify task's AUROC: macro over the classes the targets hold, NaN when it is undefined."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from polyseq.tasks.classify import present_class_auroc


def _auroc(probs: torch.Tensor, targets: torch.Tensor, k: int, batches: int = 3) -> float:
    metric = present_class_auroc(k)
    for p, t in zip(probs.chunk(batches), targets.chunk(batches), strict=True):
        metric.update(p, t)
    return float(metric.compute())


def test_a_class_absent_from_the_targets_is_left_out_of_the_mean():
    gen = torch.Generator().manual_seed(0)
    probs = torch.softmax(torch.randn(60, 4, generator=gen), -1)
    targets = torch.randint(0, 3, (60,), generator=gen)  # class 3 never occurs
    expected = np.mean([roc_auc_score((targets == c).numpy(), probs[:, c].numpy()) for c in range(3)])
    assert _auroc(probs, targets, 4) == pytest.approx(expected, abs=1e-6)


def test_two_classes_give_the_binary_auroc():
    gen = torch.Generator().manual_seed(1)
    probs = torch.softmax(torch.randn(50, 2, generator=gen), -1)
    targets = torch.randint(0, 2, (50,), generator=gen)
    assert _auroc(probs, targets, 2) == pytest.approx(roc_auc_score(targets.numpy(), probs[:, 1].numpy()), abs=1e-6)


def test_a_single_class_split_has_no_auroc():
    # a scaffold test split can hold one class only: 0 (torchmetrics) or 0.5 would read as a result
    probs = torch.softmax(torch.randn(12, 2), -1)
    assert math.isnan(_auroc(probs, torch.ones(12, dtype=torch.long), 2))
