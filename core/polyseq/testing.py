"""The conformance kit: a pytest plugin that checks a domain's tokenizers and readers.

A plugin author enables it in three lines (pandas' extension tests and scikit-learn's estimator
checks are the models)::

    pytest_plugins = ["polyseq.testing"]
    from polyseq.testing import DomainChecks
    class TestProtein(DomainChecks): domain = "protein"

Every check is a test method with a stable name (`test_round_trip`, `test_save_load`...), run
once per tokenizer of the domain (ids are tokenizer names) or once per reader suffix, so
`-k "round_trip and kmer"` selects one. A limitation the domain knows of is declared, with its
reason, in `known_limitations` (keys: a check name, or `check[param]`) and becomes a strict
xfail: the day it is fixed, the kit says so.

Fixtures an author may override: `samples` (default `Domain.examples`), `tokenizer_options`
(options per tokenizer name), `empty_sample`, `unknown_sample` (a sample with symbols outside
the vocabulary), `invalid_sample` (one the validator must reject), `example_files` (default:
`Domain.example_files` written to a temporary folder).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest

from polyseq.errors import ConfigError, PolyseqError, ReaderError
from polyseq.records import ReadReport
from polyseq.tokenizers.base import SKIPPED_ON_DECODE, SPECIAL_IDS, SPECIAL_TOKENS, UNK_ID
from polyseq.tokenizers.offsets import offset_problems

_MISSING = object()


def _show(x: Any, limit: int = 160) -> str:
    text = repr(x)
    return text if len(text) <= limit else text[: limit - 20] + " ... " + text[-15:]


def prepare_tokenizer(tokenizer: Any, samples: list[Any], vocab_size: int | None = None) -> Any:
    """Train a learned tokenizer on `samples` (no-op for fixed vocabularies); returns it."""
    if getattr(tokenizer, "trainable", False) and not getattr(tokenizer, "is_trained", True):
        if vocab_size is None:
            tokenizer.train(samples)
        else:
            tokenizer.train(samples, vocab_size=vocab_size)
    return tokenizer


def covered_text(sample: str, spans: list[tuple[int, int]]) -> str:
    """The characters `spans` cover, in order, each once: what a tokenizer whose tokens partition
    its input kept of `sample`. Consecutive equal spans (the bytes of one character) count once;
    fails if two different spans overlap, which a partitioning tokenizer never gives."""
    out, end = [], 0
    for j, (s, e) in enumerate(spans):
        if j and (s, e) == spans[j - 1]:
            continue
        assert s >= end, f"span #{j} {(s, e)} overlaps the span before it, which ends at {end}"
        out.append(sample[s:e])
        end = e
    return "".join(out)


# ------------------------------------------------------------------------------------------------
# Tokenizer checks
# ------------------------------------------------------------------------------------------------


class TokenizerChecks:
    """Checks of one tokenizer. Needs fixtures `tokenizer` and `samples`."""

    known_limitations: ClassVar[dict[str, str]] = {}

    @pytest.fixture
    def empty_sample(self, samples: list[Any]) -> Any:
        if all(isinstance(s, str) for s in samples):
            return ""
        try:
            return type(samples[0])()
        except TypeError:
            pytest.fail("samples are not strings and their type has no empty constructor: override `empty_sample`")

    @pytest.fixture
    def unknown_sample(self, samples: list[Any]) -> Any:
        if all(isinstance(s, str) for s in samples):
            seen = set("".join(samples))
            return next(c for c in "\u2603\U0001f9ec\u0416\x07~" if c not in seen) + (samples[0] if samples else "")
        return _MISSING

    def _encode(self, tokenizer: Any, sample: Any, i: int) -> list[int]:
        try:
            ids = tokenizer.encode(sample)
        except Exception as e:
            pytest.fail(f"{tokenizer.type_name}: encode failed on sample #{i} {_show(sample)}: {type(e).__name__}: {e}")
        assert isinstance(ids, list) and all(isinstance(t, int) for t in ids), (
            f"{tokenizer.type_name}: encode must return a list of int, got {_show(ids)} for sample #{i}"
        )
        return ids

    def test_round_trip(self, tokenizer: Any, samples: list[Any]) -> None:
        for i, sample in enumerate(samples):
            expected = tokenizer.normalize(sample)
            got = tokenizer.decode(self._encode(tokenizer, sample, i))
            assert got == expected, (
                f"{tokenizer.type_name}: round trip changed sample #{i}:\n  expected {_show(expected)}\n"
                f"  decoded  {_show(got)}"
            )

    def test_ids_in_range(self, tokenizer: Any, samples: list[Any]) -> None:
        n = tokenizer.vocab_size
        for i, sample in enumerate(samples):
            ids = self._encode(tokenizer, sample, i)
            bad = [t for t in ids if not 0 <= t < n]
            assert not bad, f"{tokenizer.type_name}: ids {bad[:5]} outside [0, vocab_size={n}) for sample #{i}"
            leaked = sorted({SPECIAL_TOKENS[t] for t in ids if t in SKIPPED_ON_DECODE})
            assert not leaked, f"{tokenizer.type_name}: encode must not emit {leaked} (the engine adds them)"

    def test_special_tokens(self, tokenizer: Any) -> None:
        assert dict(tokenizer.special_tokens) == dict(SPECIAL_IDS), (
            f"{tokenizer.type_name}: special token ids {dict(tokenizer.special_tokens)} differ from the fixed "
            f"ids {dict(SPECIAL_IDS)}"
        )
        shown = [tokenizer.id_to_token(i) for i in range(len(SPECIAL_TOKENS))]
        assert shown == list(SPECIAL_TOKENS), f"{tokenizer.type_name}: ids 0..6 display as {shown}"
        assert tokenizer.vocab_size > len(SPECIAL_TOKENS), f"{tokenizer.type_name}: vocabulary has no content tokens"

    def test_special_tokens_skipped_on_decode(self, tokenizer: Any, samples: list[Any]) -> None:
        ids = self._encode(tokenizer, samples[0], 0)
        padded = [SPECIAL_IDS["bos"], *ids, SPECIAL_IDS["eos"], SPECIAL_IDS["pad"], SPECIAL_IDS["pad"]]
        assert tokenizer.decode(padded) == tokenizer.decode(ids), (
            f"{tokenizer.type_name}: decode must drop <bos>, <eos> and <pad>"
        )

    def test_save_load(self, tokenizer: Any, samples: list[Any], tmp_path: Path) -> None:
        from polyseq.tokenizers.serialization import load_tokenizer

        path = tmp_path / "tokenizer.json"
        tokenizer.save(path)
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data.get("type") == tokenizer.type_name, f"saved type {data.get('type')!r} != {tokenizer.type_name!r}"
        loaded = load_tokenizer(path)
        assert type(loaded) is type(tokenizer), f"loaded a {type(loaded).__name__}, saved a {type(tokenizer).__name__}"
        assert loaded.to_config() == tokenizer.to_config(), f"{tokenizer.type_name}: config changed by save/load"
        assert loaded.vocab_size == tokenizer.vocab_size, f"{tokenizer.type_name}: vocab_size changed by save/load"
        for i, sample in enumerate(samples):
            assert loaded.encode(sample) == tokenizer.encode(sample), (
                f"{tokenizer.type_name}: the reloaded tokenizer encodes sample #{i} differently"
            )

    def test_batch_equals_single(self, tokenizer: Any, samples: list[Any]) -> None:
        single = [tokenizer.encode(s) for s in samples]
        assert tokenizer.encode_batch(samples) == single, f"{tokenizer.type_name}: encode_batch != encode per sample"
        assert tokenizer.decode_batch(single) == [tokenizer.decode(ids) for ids in single], (
            f"{tokenizer.type_name}: decode_batch != decode per sample"
        )

    def test_tokens_match_ids(self, tokenizer: Any, samples: list[Any]) -> None:
        for i, sample in enumerate(samples):
            toks, ids = tokenizer.tokens(sample), tokenizer.encode(sample)
            assert len(toks) == len(ids) and all(isinstance(t, str) for t in toks), (
                f"{tokenizer.type_name}: tokens() gave {len(toks)} strings for {len(ids)} ids (sample #{i})"
            )

    def test_empty_input(self, tokenizer: Any, empty_sample: Any) -> None:
        ids = tokenizer.encode(empty_sample)
        assert ids == [], f"{tokenizer.type_name}: encoding an empty sample gave {_show(ids)}"
        assert tokenizer.decode([]) == tokenizer.normalize(empty_sample), (
            f"{tokenizer.type_name}: decode([]) gave {_show(tokenizer.decode([]))}"
        )

    def test_unknown_symbols(self, tokenizer: Any, unknown_sample: Any) -> None:
        if unknown_sample is _MISSING:
            pytest.fail("samples are not strings: override the `unknown_sample` fixture with a sample holding "
                        "symbols outside the vocabulary, or declare a known limitation for this check")
        try:
            ids = tokenizer.encode(unknown_sample)
        except PolyseqError:
            return  # a documented, user-facing error is an accepted answer
        n = tokenizer.vocab_size
        assert all(0 <= t < n for t in ids), f"{tokenizer.type_name}: unknown symbols gave ids outside the vocabulary"
        exact = tokenizer.decode(ids) == tokenizer.normalize(unknown_sample)
        assert exact or UNK_ID in ids, (
            f"{tokenizer.type_name}: {_show(unknown_sample)} neither round-trips nor maps to <unk>: "
            "unknown symbols were silently changed"
        )

    def test_offsets(self, tokenizer: Any, samples: list[Any]) -> None:
        encode_with_offsets = getattr(tokenizer, "encode_with_offsets", None)
        if encode_with_offsets is None:
            return  # offsets are optional (see polyseq.tokenizers.base.TokenizerWithOffsets)
        for i, sample in enumerate(samples):
            try:
                ids, spans = encode_with_offsets(sample)
            except ConfigError:
                return  # the tokenizer's options rule offsets out, and it says which: an accepted answer
            assert ids == self._encode(tokenizer, sample, i), (
                f"{tokenizer.type_name}: encode_with_offsets gave ids {_show(ids)} for sample #{i}, "
                f"encode gave {_show(tokenizer.encode(sample))}"
            )
            problems = offset_problems(len(sample), ids, spans)
            assert not problems, f"{tokenizer.type_name}: bad offsets for sample #{i} {_show(sample)}: {problems}"


# ------------------------------------------------------------------------------------------------
# Reader and domain checks
# ------------------------------------------------------------------------------------------------


class DomainChecks(TokenizerChecks):
    """Every check, for every tokenizer and reader of the domain named by `domain`."""

    domain: ClassVar[str]
    #: tokenizer name -> options for `Domain.make_tokenizer`
    tokenizer_options: ClassVar[dict[str, dict[str, Any]]] = {}

    @pytest.fixture
    def polyseq_domain(self) -> Any:
        from polyseq import get_domain

        return get_domain(self.domain)

    @pytest.fixture
    def samples(self, polyseq_domain: Any) -> list[Any]:
        samples = list(polyseq_domain.examples)
        if not samples:
            pytest.fail(f"domain {self.domain!r} declares no examples: set Domain.examples or override `samples`")
        return samples

    @pytest.fixture
    def tokenizer(self, polyseq_domain: Any, tokenizer_name: str, samples: list[Any]) -> Any:
        options = self.tokenizer_options.get(tokenizer_name, {})
        return prepare_tokenizer(polyseq_domain.make_tokenizer(tokenizer_name, **options), samples)

    @pytest.fixture
    def invalid_sample(self) -> Any:
        return _MISSING

    @pytest.fixture
    def example_files(self, polyseq_domain: Any, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
        if polyseq_domain.example_files is None:
            pytest.fail(f"domain {self.domain!r} declares no example_files: set it, or override `example_files`")
        folder = tmp_path_factory.mktemp(f"{self.domain}-examples")
        return [Path(p) for p in polyseq_domain.part("example_files")(folder)]

    def _file_for(self, polyseq_domain: Any, suffix: str, files: list[Path]) -> Path:
        for f in files:
            if suffix == "/" and f.is_dir():
                return f
            name = f.name.lower()
            if suffix != "/" and (name.endswith(suffix) or name.removesuffix(".gz").endswith(suffix)):
                if polyseq_domain.reader_for(f) is polyseq_domain.reader_for(Path("x" + suffix)) or suffix == "/":
                    return f
        pytest.fail(f"domain {self.domain!r}: no example file for reader {suffix!r} among {[f.name for f in files]}")

    def test_reader_reads_example(self, polyseq_domain: Any, reader_suffix: str, example_files: list[Path]) -> None:
        path = self._file_for(polyseq_domain, reader_suffix, example_files)
        report = ReadReport()
        records = list(polyseq_domain.read(path, report=report))
        assert records, f"{path.name}: reader {reader_suffix!r} of domain {self.domain!r} read no records"
        assert report.n_bad == 0, f"{path.name}: valid example file gave bad records: {report.summary()}"
        for r in records:
            assert Path(str(r.meta.get("source", ""))).name == path.name or path.is_dir(), (
                f"{path.name}: record meta must name its source file, got {r.meta!r}"
            )
            assert "line" in r.meta or "index" in r.meta, f"{path.name}: record meta needs 'line' or 'index': {r.meta}"
        if polyseq_domain.validator is not None:
            validate = polyseq_domain.part("validator")
            problems = [(r.where, validate(r.sample)) for r in records if validate(r.sample) is not None]
            assert not problems, f"records read from a valid example fail the validator: {problems[:3]}"

    def test_missing_file(self, polyseq_domain: Any, reader_suffix: str, tmp_path: Path) -> None:
        path = tmp_path / ("missing" + ("" if reader_suffix == "/" else reader_suffix))
        with pytest.raises(ReaderError) as info:
            polyseq_domain.read(path)
        assert str(path) in str(info.value), f"the error must name the missing file: {info.value}"

    def test_corrupt_file(self, polyseq_domain: Any, reader_suffix: str, tmp_path: Path) -> None:
        if reader_suffix == "/":
            return
        path = tmp_path / ("corrupt" + reader_suffix)
        path.write_bytes(b"\x00\xff\xfe\x80 not a valid file \x81\x00\n" * 4)
        report = ReadReport()
        try:
            records = list(polyseq_domain.read(path, report=report))
        except PolyseqError as e:
            assert path.name in str(e), f"the error for a corrupt file must name it: {e}"
            return
        except Exception as e:
            pytest.fail(f"{reader_suffix!r} reader crashed on a corrupt file instead of a PolyseqError: "
                        f"{type(e).__name__}: {e}")
        assert report.n_bad > 0 or not records, (
            f"{reader_suffix!r} reader accepted a corrupt file as {len(records)} valid record(s)"
        )
        assert all(path.name in b.where for b in report.bad), "bad records must name their file"
        assert records or report.n_bad, f"{reader_suffix!r} reader read nothing from a corrupt file and said nothing"

    def test_validator(self, polyseq_domain: Any, samples: list[Any], invalid_sample: Any) -> None:
        if polyseq_domain.validator is None:
            return
        validate = polyseq_domain.part("validator")
        for i, s in enumerate(samples):
            assert validate(s) is None, f"example #{i} {_show(s)} fails the domain's validator: {validate(s)}"
        if invalid_sample is _MISSING:
            pytest.fail("the domain has a validator: override `invalid_sample` with a sample it must reject")
        reason = validate(invalid_sample)
        assert isinstance(reason, str) and reason, f"the validator accepted {_show(invalid_sample)}"


# ------------------------------------------------------------------------------------------------
# The pytest plugin part
# ------------------------------------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    cls = metafunc.cls
    if cls is None or not issubclass(cls, DomainChecks) or not hasattr(cls, "domain"):
        return
    from polyseq import get_domain

    domain = get_domain(cls.domain)
    if "tokenizer_name" in metafunc.fixturenames:
        names = list(domain.tokenizers)
        if domain.examples and all(isinstance(s, str) for s in domain.examples):
            names += [n for n in domain.tokenizer_names() if n not in names]
        metafunc.parametrize("tokenizer_name", names, ids=names)
    if "reader_suffix" in metafunc.fixturenames:
        suffixes = sorted(domain.readers)
        metafunc.parametrize("reader_suffix", suffixes, ids=suffixes)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        cls = getattr(item, "cls", None)
        limits = getattr(cls, "known_limitations", None) if cls else None
        if not limits:
            continue
        name = getattr(item, "originalname", item.name)
        param = item.name[len(name) + 1 : -1] if item.name != name else ""
        for key in (f"{name}[{param}]", name):
            if key in limits:
                item.add_marker(pytest.mark.xfail(reason=limits[key], strict=True))
                break


