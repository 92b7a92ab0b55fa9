"""Round-trip properties on SMILES that RDKit writes for real molecules (the NCI set inside RDKit).

Each example draws a molecule and a form - the file's own string, RDKit's canonical SMILES, or a
random SMILES (`MolToRandomSmilesVect`, any seed) - and checks every tokenizer: decoding gives
back exactly `normalize(x)`, except that a symbol outside the trained vocabulary shows as <unk>
(U+FFFD) in its place, never silently changed or lost.
"""

from functools import cache
from itertools import islice
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdkit import Chem, RDConfig

from polyseq import PolyseqError, ReadReport, get_domain
from polyseq.tokenizers.base import UNK_ID
from polyseq_smiles.tokenizers import atom_split

DOMAIN = get_domain("smiles")
N_MOLECULES = 300
FORMS = ["given", "canonical", "random"]


@cache
def molecules() -> list[str]:
    path = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"
    return [r.sample for r in islice(DOMAIN.read(path, report=ReadReport()), N_MOLECULES)]


def form_of(smiles: str, form: str, seed: int) -> str:
    if form == "given":
        return smiles
    mol = Chem.MolFromSmiles(smiles)
    return Chem.MolToSmiles(mol) if form == "canonical" else Chem.MolToRandomSmilesVect(mol, 1, randomSeed=seed)[0]


try:
    import selfies
except ImportError:
    selfies = None
# without the extra, building the tokenizer raises the error that names it (see test_smiles_tokenizers)
needs_selfies = pytest.mark.xfail(selfies is None, reason="the selfies extra is not installed", strict=True,
                                  raises=PolyseqError)


def selfies_accepts(smiles: str) -> bool:
    try:
        selfies.encoder(smiles)
    except selfies.EncoderError:
        return False  # e.g. 10 of the 4,991 NCI molecules (hypervalent I, Cl, Fe): outside SELFIES' constraints
    return True


@cache
def trained(name: str, canonical: bool = False):
    """Trained on the molecules in all three forms (one random SMILES each), as a real corpus would be."""
    corpus = [form_of(s, f, i) for i, s in enumerate(molecules()) for f in FORMS]
    if name == "selfies":
        tok = DOMAIN.make_tokenizer(name)
        tok.train([s for s in corpus if selfies_accepts(s)])
        return tok
    tok = DOMAIN.make_tokenizer(name, canonical=canonical)
    tok.train(corpus)
    return tok


molecule = st.builds(form_of, st.integers(0, N_MOLECULES - 1).map(lambda i: molecules()[i]),
                     st.sampled_from(FORMS), st.integers(0, 2**31 - 2))
fast = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def with_unk(vocab, tokens: list[str]) -> str:
    """The text with every token outside the vocabulary replaced by the <unk> text, U+FFFD."""
    return "".join(t if t in vocab else "\ufffd" for t in tokens)


@pytest.mark.parametrize("name", ["atom", "bpe"])
@fast
@given(smiles=molecule)
def test_atom_level_round_trip(name, smiles):
    tok = trained(name)
    vocab = (tok.atoms if name == "bpe" else tok).vocab.stoi
    ids = tok.encode(smiles)
    assert tok.decode(ids) == with_unk(vocab, atom_split(smiles))
    assert (UNK_ID in ids) == any(t not in vocab for t in atom_split(smiles))


@fast
@given(smiles=molecule)
def test_char_round_trip(smiles):
    tok = trained("char")
    assert tok.decode(tok.encode(smiles)) == with_unk(tok.vocab.stoi, list(smiles))


@pytest.mark.parametrize("name", ["atom", "char", "bpe"])
@fast
@given(smiles=molecule)
def test_canonical_option_round_trip_gives_the_canonical_smiles(name, smiles):
    tok = trained(name, canonical=True)
    canonical = Chem.MolToSmiles(Chem.MolFromSmiles(smiles))
    assert tok.normalize(smiles) == canonical
    ids = tok.encode(smiles)
    assert UNK_ID not in ids and ids == tok.encode(canonical)
    assert tok.decode(ids) == canonical


@needs_selfies
@fast
@given(smiles=molecule)
def test_selfies_round_trip_gives_the_same_molecule(smiles):
    tok = trained("selfies")
    if not selfies_accepts(smiles):
        with pytest.raises(PolyseqError, match="selfies cannot encode"):
            tok.encode(smiles)
        return
    ids = tok.encode(smiles)
    assert UNK_ID not in ids
    assert tok.decode(ids) == tok.normalize(smiles) == Chem.MolToSmiles(Chem.MolFromSmiles(smiles))
