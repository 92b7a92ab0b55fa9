"""Tokenizer files: JSON round trip for every registered tokenizer, and clear errors for bad files."""

import json
import re
from pathlib import Path

import pytest

import polyseq
from polyseq import TokenizerFormatError
from polyseq.plugins import registry
from polyseq.testing import prepare_tokenizer
from polyseq.tokenizers.char import CharTokenizer


def _every_registered_tokenizer():
    reg = registry()
    pairs = []
    for domain in reg.domains.values():
        pairs += [(domain.name, t) for t in domain.tokenizer_names(reg)
                  if t in domain.tokenizers or all(isinstance(s, str) for s in domain.examples)]
    return pairs


@pytest.mark.parametrize(("domain_name", "tokenizer_name"), _every_registered_tokenizer(),
                         ids=[f"{d}-{t}" for d, t in _every_registered_tokenizer()])
def test_json_round_trip_of_every_registered_tokenizer(domain_name, tokenizer_name, tmp_path):
    domain = polyseq.get_domain(domain_name)
    samples = list(domain.examples)
    tok = prepare_tokenizer(domain.make_tokenizer(tokenizer_name), samples)
    path = tmp_path / "tok.json"
    tok.save(path)
    loaded = polyseq.load_tokenizer(path)
    assert type(loaded) is type(tok)
    assert loaded.to_config() == tok.to_config()
    # a tokenizer of other samples than the domain's (rna's `structure` takes Annotated pairs) says so
    usable = [s for s in samples if _encodes(tok, s)] or [polyseq.Annotated("ACGU", "(..)")]
    assert [loaded.encode(s) for s in usable] == [tok.encode(s) for s in usable]


def _encodes(tok, sample) -> bool:
    try:
        tok.encode(sample)
    except polyseq.PolyseqError as e:
        assert "encodes" in str(e), e  # the sample-type error, not another failure
        return False
    return True


@pytest.fixture
def saved(tmp_path) -> Path:
    tok = CharTokenizer()
    tok.train(["hello world"])
    path = tmp_path / "char.json"
    tok.save(path)
    return path


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_saved_file_is_versioned_json(saved):
    data = json.loads(saved.read_text())
    assert data["format"] == "polyseq-tokenizer" and data["format_version"] == 1 and data["type"] == "char"


def test_tampered_vocabulary_is_detected(saved):
    _edit(saved, lambda d: d["config"]["chars"].reverse())
    with pytest.raises(TokenizerFormatError, match=re.escape(f"{saved}: the tokenizer's config does not match its sha256")):
        polyseq.load_tokenizer(saved)


def test_unknown_format_version_says_what_to_do(saved):
    _edit(saved, lambda d: d.update(format_version=99))
    with pytest.raises(TokenizerFormatError, match="version 99 is not supported; this polyseq reads version 1"):
        polyseq.load_tokenizer(saved)


def test_unknown_tokenizer_type_names_the_file_and_suggests(saved):
    _edit(saved, lambda d: d.update(type="protein.residu"))
    with pytest.raises(polyseq.UnknownNameError) as info:
        polyseq.load_tokenizer(saved)
    message = str(info.value)
    assert str(saved) in message and "Did you mean 'protein.residue'?" in message and "plugin" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON (line 1, column 2"),
        ("[1, 2]", "not a polyseq tokenizer file"),
        ('{"format": "polyseq-tokenizer", "format_version": 1}', "missing key(s) type, config, sha256"),
    ],
    ids=["invalid-json", "not-an-object", "missing-keys"],
)
def test_malformed_files_name_the_file(tmp_path, content, expected):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(TokenizerFormatError, match=re.escape(expected)) as info:
        polyseq.load_tokenizer(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(TokenizerFormatError, match="no such tokenizer file"):
        polyseq.load_tokenizer(tmp_path / "nope.json")


def test_no_code_path_unpickles():
    """Nothing in the engine or the built-in plugins imports pickle or loads torch files unsafely."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in [*root.glob("core/**/*.py"), *root.glob("plugins/**/*.py")]:
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(import|from)\s+(pickle|cPickle|dill|cloudpickle|joblib)\b", text, re.M):
            offenders.append(f"{path}: imports a pickle library")
        for call in re.findall(r"torch\.load\([^)]*\)", text):
            if "weights_only=True" not in call:
                offenders.append(f"{path}: {call}")
    assert not offenders, offenders
