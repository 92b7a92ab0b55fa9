"""Baselines: the classical model each field uses as its first reference, beside every neural run.

Registered through the `register_baselines` hook like tasks and backbones. Built in (the core's own
plugin): `majority` (class frequencies / mean, any domain) and `ngram_lm` (Kneser-Ney over bytes,
bits per byte, any domain); the domains add theirs (Morgan fingerprints + random forest for SMILES,
k-mer logistic regression and a sliding-window per-base classifier for DNA, n-gram TF-IDF +
logistic regression for text, code and LaTeX).

This module is the public API for writing a baseline: `Baseline` (the contract), `FeatureLinear`
and `NgramLinear` (linear models on features / on n-grams of strings), `NgramLM`, `WindowLinear` (a
label per position from the window around it), the helpers
`sample_text` and `sample_bytes`, and `data_module` / `fit_on` / `score` / `make_baseline` to run one (`get_baseline`, `baseline_names`).
Importing it imports neither torch nor scikit-learn.
"""

from __future__ import annotations

from typing import Any

from polyseq.baselines.base import OUTPUTS, Baseline, applies, output_for, sample_bytes, sample_text

_LAZY = {
    "FeatureLinear": "polyseq.baselines.linear:FeatureLinear",
    "NgramLinear": "polyseq.baselines.linear:NgramLinear",
    "NgramLM": "polyseq.baselines.ngram_lm:NgramLM",
    "WindowLinear": "polyseq.baselines.window:WindowLinear",
    "Majority": "polyseq.baselines.simple:Majority",
    "fit_on": "polyseq.baselines.run:fit_on",
    "score": "polyseq.baselines.run:score",
    "make_baseline": "polyseq.baselines.run:make_baseline",
    "data_module": "polyseq.baselines.run:data_module",
}


def __getattr__(name: str) -> Any:
    from polyseq import lazy_attribute

    return lazy_attribute(globals(), _LAZY, name)


def get_baseline(name: str, where: str = "") -> type[Baseline]:
    """The registered baseline class called `name`; an unknown name lists the registered ones."""
    from polyseq.plugins import registry

    return registry().baseline_class(name, where)


def baseline_names() -> list[str]:
    from polyseq.plugins import registry

    return list(registry().baselines)


__all__: list[Any] = ["OUTPUTS", "Baseline", "applies", "baseline_names", "get_baseline", "output_for",
                      "sample_bytes", "sample_text", *_LAZY]
