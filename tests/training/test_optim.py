"""The learning-rate schedule: warmup, cosine to min_ratio at the last step, constant when the length is unknown."""

import pytest
import torch

from polyseq.training.optim import warmup_cosine


def factors(total, steps, warmup=4):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = warmup_cosine(opt, warmup, total, min_ratio=0.1)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def test_warmup_then_cosine_down_to_min_ratio_at_the_last_step():
    lr = factors(total=20, steps=21)
    assert lr[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert lr[4] == pytest.approx(1.0) and lr[12] == pytest.approx(0.55)  # halfway through the decay
    assert lr[20] == pytest.approx(0.1) and all(a >= b for a, b in zip(lr[4:], lr[5:]))


def test_unknown_length_keeps_the_rate_after_warmup():
    lr = factors(total=None, steps=50)
    assert lr[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0]) and set(lr[4:]) == {1.0}
