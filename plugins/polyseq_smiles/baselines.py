"""The chemist's first reference: Morgan (ECFP-like) fingerprints from RDKit + a random forest (300
trees, sqrt(bits) features per split), and a linear model (logistic / ridge) on the same bits.

Fingerprints: RDKit's Morgan generator, radius 2, 2048 bits (ECFP4-like; Rogers & Hahn, "Extended-
connectivity fingerprints", J. Chem. Inf. Model. 2010); a SMILES RDKit cannot parse gets the zero
vector (the reader has already counted it as bad unless the domain was told to keep it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from polyseq import Baseline, FeatureLinear, hookimpl, sample_text


def morgan_bits(samples: Sequence[Any], radius: int, n_bits: int, name: str) -> Any:
    """(n, n_bits) uint8 Morgan fingerprint bits of SMILES strings."""
    import numpy as np
    from rdkit import Chem, RDLogger
    from rdkit.Chem import rdFingerprintGenerator

    RDLogger.DisableLog("rdApp.*")
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    out = np.zeros((len(samples), n_bits), dtype=np.uint8)
    for i, s in enumerate(samples):
        mol = Chem.MolFromSmiles(sample_text(s, name, f"record {i}"))
        if mol is not None:
            out[i] = gen.GetFingerprintAsNumPy(mol)
    return out


class MorganForest(Baseline):
    name = "morgan_rf"
    description = "Morgan fingerprints (radius 2, 2048 bits) + random forest (scikit-learn)"
    outputs = ("classes", "values")
    domains = ("smiles",)
    features = "Morgan r=2, 2048 bits"
    # max_features "sqrt" (45 of 2048 bits per split) for regression too: 45 times cheaper than all bits
    defaults = {"radius": 2, "n_bits": 2048, "n_estimators": 300, "min_samples_leaf": 1, "max_features": "sqrt"}

    def fit(self, samples: Sequence[Any], targets: Any, output: str) -> None:
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        self.output = output
        o = self.options
        forest = RandomForestClassifier if output == "classes" else RandomForestRegressor
        self.model = forest(n_estimators=o["n_estimators"], min_samples_leaf=o["min_samples_leaf"],
                            max_features=o["max_features"], random_state=self.seed, n_jobs=1)
        if output == "values" and targets.shape[1] == 1:
            targets = targets.ravel()  # one column: scikit-learn wants a vector
        self.model.fit(morgan_bits(samples, o["radius"], o["n_bits"], self.name), targets)

    def predict(self, samples: Sequence[Any]) -> Any:
        import numpy as np

        x = morgan_bits(samples, self.options["radius"], self.options["n_bits"], self.name)
        if self.output == "classes":
            return self.model.predict_proba(x)
        return np.asarray(self.model.predict(x), dtype=np.float64).reshape(len(samples), -1)


class MorganLinear(FeatureLinear):
    name = "morgan_linear"
    description = "Morgan fingerprints (radius 2, 2048 bits) + logistic regression / ridge (scikit-learn)"
    domains = ("smiles",)
    features = "Morgan r=2, 2048 bits"
    defaults = {**FeatureLinear.defaults, "radius": 2, "n_bits": 2048, "alpha": 10.0}

    def featurize(self, samples: Sequence[Any], fit: bool) -> Any:
        return morgan_bits(samples, self.options["radius"], self.options["n_bits"], self.name).astype("float64")


@hookimpl
def register_baselines(register):
    register("morgan_rf", MorganForest, description=MorganForest.description)
    register("morgan_linear", MorganLinear, description=MorganLinear.description)
