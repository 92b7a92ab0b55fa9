"""What the smiles tokenizers promise beyond the conformance kit: the atom regex, vocabularies, options."""

import json
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from polyseq import ConfigError, PolyseqError, get_domain, load_tokenizer
from polyseq.tokenizers.base import N_SPECIAL, UNK_ID
from polyseq_smiles.tokenizers import (
    BASE_ATOMS,
    AtomBPETokenizer,
    AtomTokenizer,
    SmilesCharTokenizer,
    atom_split,
)

DOMAIN = get_domain("smiles")
EXAMPLES = list(DOMAIN.examples)

try:
    import selfies  # noqa: F401  (an optional extra)

    HAVE_SELFIES = True
except ImportError:
    HAVE_SELFIES = False
# without the extra, building the tokenizer raises the error that names it (checked below)
needs_selfies = pytest.mark.xfail(not HAVE_SELFIES, reason="the selfies extra is not installed", strict=True,
                                  raises=PolyseqError)


@pytest.mark.parametrize(
    ("smiles", "tokens"),
    [
        ("CC(C)Cl", ["C", "C", "(", "C", ")", "Cl"]),
        ("BrC=CBr", ["Br", "C", "=", "C", "Br"]),
        ("C[C@@H](N)C(=O)O", ["C", "[C@@H]", "(", "N", ")", "C", "(", "=", "O", ")", "O"]),
        ("c1cc[nH]c1", ["c", "1", "c", "c", "[nH]", "c", "1"]),
        ("[Na+].[Cl-]", ["[Na+]", ".", "[Cl-]"]),
        ("F/C=C\\F", ["F", "/", "C", "=", "C", "\\", "F"]),
        ("C%12CC%12", ["C", "%12", "C", "C", "%12"]),
        ("C%(123)CC%(123)", ["C", "%(123)", "C", "C", "%(123)"]),
        ("N#N", ["N", "#", "N"]),
        ("[2H]C([2H])([2H])*", ["[2H]", "C", "(", "[2H]", ")", "(", "[2H]", ")", "*"]),
        ("CC>>CO", ["C", "C", ">", ">", "C", "O"]),
    ],
    ids=["Cl", "Br", "stereo-centre", "aromatic-nH", "ions", "stereo-bonds", "ring-%nn", "ring-%(nnn)",
         "triple", "isotopes-wildcard", "reaction"],
)
def test_atom_regex_splits_as_the_molecular_transformer(smiles, tokens):
    assert atom_split(smiles) == tokens


@given(st.text())
def test_atom_split_never_loses_a_character(text):
    assert "".join(atom_split(text)) == text


def test_characters_outside_the_regex_become_unk_not_nothing():
    tok = AtomTokenizer(fallback="unk")
    tok.train(EXAMPLES)
    ids = tok.encode("CC O")
    assert ids.count(UNK_ID) == 1 and len(ids) == 4
    assert tok.decode(ids) == "CC\ufffdO"
    lossless = AtomTokenizer()  # the default: its bytes
    lossless.train(EXAMPLES)
    assert lossless.decode(lossless.encode("CC O")) == "CC O" and UNK_ID not in lossless.encode("CC O")


@pytest.mark.parametrize("cls", [AtomTokenizer, SmilesCharTokenizer])
def test_a_bracket_atom_absent_from_the_training_half_round_trips_by_default(cls):
    tok = cls()
    tok.train(["CCO", "c1ccccc1", "CC(=O)O"])
    for smiles in ("C[NH4+]", "[Pt](Cl)(Cl)(N)N", "[13CH3]O", "C[C@@H](N)C(=O)O"):
        ids = tok.encode(smiles)
        assert UNK_ID not in ids and tok.decode(ids) == smiles


def test_tokenizers_saved_before_the_byte_fallback_keep_their_ids_and_unk():
    old = {"tokens": [*BASE_ATOMS, "[NH3+]"], "min_freq": 1, "canonical": False}  # no "fallback" key
    tok = AtomTokenizer.from_config(old)
    assert tok.fallback == "unk" and tok.encode("[NH3+]") == [N_SPECIAL + len(BASE_ATOMS)]
    assert tok.encode("[Fe]") == [UNK_ID]


def test_atom_vocabulary_is_base_then_learned_by_frequency():
    tok = AtomTokenizer(fallback="unk")
    tok.train(["C[NH3+]", "C[NH3+]", "C[O-]"])
    content = tok.to_config()["tokens"]
    assert content[: len(BASE_ATOMS)] == list(BASE_ATOMS)
    assert content[len(BASE_ATOMS):] == ["[NH3+]", "[O-]"]
    assert tok.encode("[Fe]") == [UNK_ID]
    assert tok.decode(tok.encode("C[Fe]C")) == "C\ufffdC"


def test_vocab_size_caps_the_learned_tokens():
    tok = AtomTokenizer(vocab_size=N_SPECIAL + len(BASE_ATOMS) + 1, fallback="unk")
    tok.train(["C[NH3+]", "C[NH3+]", "C[O-]"])
    assert tok.vocab_size == N_SPECIAL + len(BASE_ATOMS) + 1
    assert tok.encode("[O-]") == [UNK_ID]


@pytest.mark.parametrize(
    ("options", "named"),
    [({"vocab_size": 10}, "vocab_size"), ({"min_freq": 0}, "min_freq"), ({"canonical": "yes"}, "canonical")],
    ids=["vocab_size", "min_freq", "canonical"],
)
@pytest.mark.parametrize("name", ["atom", "char", "bpe"])
def test_invalid_options_name_the_option_the_rule_and_the_value(name, options, named):
    if name == "bpe" and named == "min_freq":
        options, named = {"min_frequency": 0}, "min_frequency"
    with pytest.raises(ConfigError) as info:
        DOMAIN.make_tokenizer(name, **options)
    message = str(info.value)
    assert named in message and repr(next(iter(options.values()))) in message


@pytest.mark.parametrize("cls", [AtomTokenizer, SmilesCharTokenizer, AtomBPETokenizer], ids=["atom", "char", "bpe"])
def test_untrained_tokenizer_says_to_train(cls):
    tok = cls()
    assert tok.trainable and not tok.is_trained
    with pytest.raises(PolyseqError, match=r"call train\(samples\)"):
        tok.encode("CCO")


def test_type_names_follow_the_domain_keys():
    for key in DOMAIN.tokenizers:
        assert DOMAIN.tokenizer_class(key).type_name == f"smiles.{key}"


def test_canonical_option_rewrites_before_tokenising():
    tok = AtomTokenizer(canonical=True)
    tok.train(EXAMPLES)
    assert tok.normalize("OCC") == "CCO"
    assert tok.encode("OCC") == tok.encode("C(O)C") == tok.encode("CCO")
    assert tok.decode(tok.encode("OCC")) == "CCO"
    with pytest.raises(PolyseqError, match="RDKit cannot parse 'C1CC'"):
        tok.encode("C1CC")


def test_bpe_merges_never_split_an_atom():
    tok = AtomBPETokenizer(vocab_size=120)
    tok.train(EXAMPLES * 3)
    atoms = set(tok.atoms.to_config()["tokens"])
    for smiles in EXAMPLES:
        pieces = tok.tokens(smiles)
        assert "".join(pieces) == smiles
        for piece in pieces:
            assert "".join(atom_split(piece)) == piece and all(a in atoms for a in atom_split(piece))
    assert len(tok.encode(EXAMPLES[5])) < len(atom_split(EXAMPLES[5]))


class _Passes:
    """A re-iterable corpus that counts the passes made over it (as the streamed cache build's samples)."""

    def __init__(self, items):
        self.items, self.passes = list(items), 0

    def __iter__(self):
        self.passes += 1
        yield from self.items


def test_bpe_trains_by_passes_over_a_reiterable_corpus_and_learns_the_same_merges():
    corpus = _Passes(EXAMPLES * 3)
    streamed, from_list, from_generator = (AtomBPETokenizer(vocab_size=120) for _ in range(3))
    streamed.train(corpus)
    from_list.train(EXAMPLES * 3)
    from_generator.train(s for s in EXAMPLES * 3)  # one-shot: held for the second pass
    assert corpus.passes == 2  # the atoms, then the merges: the corpus is never copied into a list
    assert streamed.to_config() == from_list.to_config() == from_generator.to_config()


def test_bpe_vocab_size_below_the_atom_count_is_a_clear_error():
    tok = AtomBPETokenizer(vocab_size=N_SPECIAL + len(BASE_ATOMS))
    with pytest.raises(ConfigError, match="vocab_size"):
        tok.train(EXAMPLES)


@pytest.mark.parametrize("name", ["atom", "char", "bpe"])
def test_saved_config_is_plain_json_and_reloads(name, tmp_path):
    tok = DOMAIN.make_tokenizer(name, canonical=True)
    tok.train(EXAMPLES)
    tok.save(tmp_path / "t.json")
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["type"] == f"smiles.{name}" and data["config"]["canonical"] is True
    loaded = load_tokenizer(tmp_path / "t.json")
    assert loaded.encode("OCC") == tok.encode("CCO")


@needs_selfies
def test_selfies_decodes_any_symbol_string_to_a_valid_molecule():
    from polyseq_smiles.io import validate_smiles

    tok = DOMAIN.make_tokenizer("selfies")
    tok.train(EXAMPLES)
    assert tok.normalize("OCC") == "CCO" and tok.decode(tok.encode("OCC")) == "CCO"
    for start in range(N_SPECIAL, tok.vocab_size - 5, 7):
        assert validate_smiles(tok.decode(list(range(start, start + 5))) or "C") is None


@needs_selfies
def test_selfies_refusal_is_a_clear_error():
    tok = DOMAIN.make_tokenizer("selfies")
    tok.train(EXAMPLES)
    with pytest.raises(PolyseqError, match="selfies cannot encode 'FC1=CC=C"):
        tok.encode("FC1=CC=C([I]C2=CC=C(F)C=C2)C=C1")  # hypervalent iodine: outside SELFIES' constraints


def test_selfies_without_the_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "selfies", None)  # as if it were not installed
    assert "selfies" in DOMAIN.tokenizers  # still registered
    with pytest.raises(PolyseqError, match=r"pip install 'polyseq\[selfies\]'"):
        DOMAIN.make_tokenizer("selfies")


def test_importing_the_plugin_imports_neither_rdkit_nor_selfies():
    code = (
        "import sys, polyseq; d = polyseq.get_domain('smiles'); d.tokenizer_class('atom');"
        "assert 'rdkit' not in sys.modules and 'selfies' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(("cls", "option", "value"), [(AtomTokenizer, "tokens", ["C", ""]),
                                                      (SmilesCharTokenizer, "chars", ["Cl"])], ids=["atom", "char"])
def test_a_given_vocabulary_is_checked(cls, option, value):
    with pytest.raises(ConfigError, match=option):
        cls(**{option: value})
