"""`DomainChecks`: every check, for every tokenizer and reader of one registered domain."""

from __future__ import annotations

import numbers
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from polyseq.errors import PolyseqError, ReaderError
from polyseq.records import BadRecord, ReadReport
from polyseq.testing.files import MixedFile, build_mixed_file, line_problems, undecodable
from polyseq.testing.inputs import MISSING, characters_of, make_inputs, prepare_tokenizer, show
from polyseq.testing.tokenizer_checks import TokenizerChecks


class DomainChecks(TokenizerChecks):
    """Every check, for every tokenizer and reader of the domain named by `domain`."""

    domain: ClassVar[str]
    #: tokenizer name -> options for `Domain.make_tokenizer`
    tokenizer_options: ClassVar[dict[str, dict[str, Any]]] = {}
    #: tokenizer name -> the samples to check it on, for a tokenizer whose samples are not the
    #: domain's (a track tokenizer's `Annotated` pairs); such a tokenizer gets no generated strings
    #: unless `tokenizer_strategies` gives it a strategy
    tokenizer_samples: ClassVar[dict[str, list[Any]]] = {}
    #: tokenizer name -> a hypothesis strategy (or "module:attr") of its samples
    tokenizer_strategies: ClassVar[dict[str, Any]] = {}

    @pytest.fixture
    def polyseq_domain(self) -> Any:
        from polyseq import get_domain

        return get_domain(self.domain)

    def _own_tokenizer(self, request: pytest.FixtureRequest) -> str | None:
        """The tokenizer of this check when the class gives it samples of its own, else None."""
        if "tokenizer_name" not in request.fixturenames:
            return None
        name = request.getfixturevalue("tokenizer_name")
        return name if name in self.tokenizer_samples or name in self.tokenizer_strategies else None

    @pytest.fixture
    def samples(self, polyseq_domain: Any, request: pytest.FixtureRequest) -> list[Any]:
        own = self._own_tokenizer(request)
        if own is not None and own in self.tokenizer_samples:
            return list(self.tokenizer_samples[own])
        samples = list(polyseq_domain.examples)
        if not samples:
            pytest.fail(f"domain {self.domain!r} declares no examples: set Domain.examples or override `samples`")
        return samples

    @pytest.fixture
    def base_options(self, tokenizer_name: str) -> dict[str, Any]:
        return dict(self.tokenizer_options.get(tokenizer_name, {}))

    @pytest.fixture
    def tokenizer(self, polyseq_domain: Any, tokenizer_name: str, base_options: dict[str, Any],
                  samples: list[Any]) -> Any:
        return prepare_tokenizer(polyseq_domain.make_tokenizer(tokenizer_name, **base_options), samples)

    @pytest.fixture
    def make_tokenizer(self, polyseq_domain: Any, tokenizer_name: str, samples: list[Any]) -> Callable[..., Any]:
        return lambda **options: prepare_tokenizer(polyseq_domain.make_tokenizer(tokenizer_name, **options), samples)

    @pytest.fixture
    def alphabet(self, polyseq_domain: Any, samples: list[Any], request: pytest.FixtureRequest) -> Any:
        if self._own_tokenizer(request) is not None:
            return None
        if polyseq_domain.alphabet is not None:
            return polyseq_domain.alphabet
        return characters_of(samples)

    @pytest.fixture
    def sample_strategy(self, polyseq_domain: Any, request: pytest.FixtureRequest) -> Any:
        own = self._own_tokenizer(request)
        if own is not None:
            return self.tokenizer_strategies.get(own)
        return polyseq_domain.sample_strategy

    @pytest.fixture
    def case_sensitive(self, polyseq_domain: Any, request: pytest.FixtureRequest) -> bool:
        # a cross-domain tokenizer (bytes, char) does not know the domain's case rule
        name = request.getfixturevalue("tokenizer_name") if "tokenizer_name" in request.fixturenames else None
        return polyseq_domain.case_sensitive or (name is not None and name not in polyseq_domain.tokenizers)

    @pytest.fixture
    def invalid_sample(self) -> Any:
        return MISSING

    @pytest.fixture
    def example_files(self, polyseq_domain: Any, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
        if polyseq_domain.example_files is None:
            pytest.fail(f"domain {self.domain!r} declares no example_files: set it, or override `example_files`")
        folder = tmp_path_factory.mktemp(f"{self.domain}-examples")
        return [Path(p) for p in polyseq_domain.part("example_files")(folder)]

    @pytest.fixture
    def mixed_file(self, polyseq_domain: Any, reader_suffix: str, example_files: list[Path],
                   tmp_path: Path) -> MixedFile | None:
        """Good records of the example file with malformed lines between them (None: no such file
        can be built for this format; then `test_reader_mixed_records` checks nothing)."""
        path = self._file_for(polyseq_domain, reader_suffix, example_files)
        records = list(polyseq_domain.read(path, report=ReadReport()))
        name = path.name if path.name.lower().endswith(reader_suffix) else "mixed" + reader_suffix
        return build_mixed_file(path, records, tmp_path / f"mixed-{name}")

    @pytest.fixture
    def written_path(self, tmp_path: Path) -> Path | None:
        """Where `test_writer` asks the writer to write (None: try each reader suffix of the domain)."""
        return None

    def _file_for(self, polyseq_domain: Any, suffix: str, files: list[Path]) -> Path:
        for f in files:
            if suffix == "/" and f.is_dir():
                return f
            name = f.name.lower()
            if suffix != "/" and (name.endswith(suffix) or name.removesuffix(".gz").endswith(suffix)):
                if polyseq_domain.reader_for(f) is polyseq_domain.reader_for(Path("x" + suffix)) or suffix == "/":
                    return f
        if suffix != "/":  # a suffix sharing its reader with another (.fa and .fasta): that file, renamed
            reader = polyseq_domain.reader_for(Path("x" + suffix))
            for f in files:
                if f.is_file() and not f.name.lower().endswith(".gz") and polyseq_domain.reader_for(f) is reader:
                    copy = f.parent / f"{f.stem}-as{suffix}"
                    if not copy.exists():
                        copy.write_bytes(f.read_bytes())
                    return copy
        pytest.fail(f"domain {self.domain!r}: no example file for reader {suffix!r} among {[f.name for f in files]}")

    def _default_tokenizer(self, polyseq_domain: Any, samples: list[Any]) -> Any:
        options = self.tokenizer_options.get(polyseq_domain.default_tokenizer, {})
        return prepare_tokenizer(polyseq_domain.make_tokenizer(None, **options), samples)

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
        problems = line_problems(path, records)
        assert not problems, f"{path.name}: reader {reader_suffix!r} names the wrong lines: {problems[:3]}"
        if polyseq_domain.validator is not None:
            validate = polyseq_domain.part("validator")
            problems = [(r.where, validate(r.sample)) for r in records if validate(r.sample) is not None]
            assert not problems, f"records read from a valid example file fail the validator: {problems[:3]}"

    def test_reader_mixed_records(self, polyseq_domain: Any, reader_suffix: str, mixed_file: MixedFile | None,
                                  kit_note: Callable[[str], None]) -> None:
        """Malformed records between good ones: the good come back, each bad one is a BadRecord
        naming its file and line, and nothing but a PolyseqError is ever raised."""
        if mixed_file is None:
            kit_note(f"reader {reader_suffix!r}: no mixed file (binary format, one record per file, or several "
                     "per line): override the `mixed_file` fixture to check one")
            return
        path, report = mixed_file.path, ReadReport()
        what = f"reader {reader_suffix!r} of domain {self.domain!r}"
        places = ", ".join(str(w) if isinstance(w, int) else f"{w[0]}-{w[1]}" for w in mixed_file.bad_lines)
        try:
            records, error = list(polyseq_domain.read(path, report=report)), None
        except Exception as e:  # reported below, outside the handler, so the message is not buried in a chain
            records, error = [], e
        if isinstance(error, PolyseqError):
            pytest.fail(f"{what} gave up on {path.name}, a file of good records with malformed ones between them "
                        f"(at lines {places}): {type(error).__name__}: {error}\nA malformed record must be yielded "
                        "as BadRecord(reason, meta) and reading go on.", pytrace=False)
        if error is not None:
            pytest.fail(f"{what} crashed on a malformed record in {path.name} (at lines {places}): "
                        f"{type(error).__name__}: {error}\nA reader yields BadRecord(reason, meta) for a record it "
                        "cannot use; anything else it raises is a bug.", pytrace=False)
        good = list(mixed_file.good)
        validate = polyseq_domain.part("validator") if polyseq_domain.validator is not None else None
        strays = [r for r in records if r.sample not in good]
        for r in strays:  # a garbage line accepted as a record is wrong when it is no valid sample
            reason = "it holds undecodable bytes" if undecodable(r.sample) else None
            reason = reason or (f"the domain's validator rejects it: {validate(r.sample)}"
                                if validate is not None and validate(r.sample) is not None else None)
            assert reason is None, (
                f"{what} accepted a malformed line of {path.name} as a record ({reason}): {r.where}: {show(r.sample)}"
            )
        for b in report.bad:
            assert isinstance(b, BadRecord) and Path(str(b.meta.get("source", ""))).name == path.name, (
                f"{what}: a BadRecord must name its file in meta['source']: {b!r}"
            )
            assert isinstance(b.meta.get("line"), int) or isinstance(b.meta.get("index"), int), (
                f"{what}: a BadRecord must name its line in meta['line']: {b!r}"
            )
        for where in mixed_file.bad_lines:
            first, last = (where, where) if isinstance(where, int) else where
            reported = [x for x in [*report.bad, *strays]
                        if isinstance(x.meta.get("line"), int) and first <= x.meta["line"] <= last]
            span = f"line {first}" if first == last else f"lines {first}-{last}"
            assert reported, (
                f"{what}: the malformed record at {span} of {path.name} was skipped silently: no BadRecord names it "
                f"(bad records reported: {[(b.meta.get('line'), b.reason) for b in report.bad][:5]})"
            )
        least = len(good) - mixed_file.may_lose * len(mixed_file.bad_lines)
        assert len(records) >= least, (
            f"{what}: only {len(records)} of the {len(good)} good records of {path.name} came back (at least {least} "
            f"expected): records after a malformed one were lost. Bad records: {report.summary()}"
        )

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
            assert validate(s) is None, f"example #{i} {show(s)} fails the domain's validator: {validate(s)}"
        if invalid_sample is MISSING:
            pytest.fail("the domain has a validator: override `invalid_sample` with a sample it must reject")
        reason = validate(invalid_sample)
        assert isinstance(reason, str) and reason, f"the validator accepted {show(invalid_sample)}"

    def test_writer(self, polyseq_domain: Any, samples: list[Any], alphabet: Any, sample_strategy: Any,
                    case_sensitive: bool, written_path: Path | None, tmp_path: Path) -> None:
        """Samples the domain's writer writes read back, with the reader of the written suffix, as the same samples."""
        if polyseq_domain.writer is None:
            return
        default = self._default_tokenizer(polyseq_domain, samples)
        write, normalize = polyseq_domain.part("writer"), default.normalize
        inputs = make_inputs(default, samples, alphabet, sample_strategy, case_sensitive, 0)
        written = list(samples) + [s for s in inputs.boundary if s and s not in samples]
        expected = [normalize(s) for s in written]
        if written_path is not None:
            targets = [written_path]
        else:
            targets = [tmp_path / f"out{i}" / ("written" if s == "/" else "written" + s)
                       for i, s in enumerate(polyseq_domain.readers)]
        attempts = []
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            paths = write(list(written), target)
            assert isinstance(paths, list) and paths, (
                f"the writer must return the list of paths written, got {show(paths)}"
            )
            report, got = ReadReport(), []
            try:
                for p in paths:
                    got += [normalize(r.sample) for r in polyseq_domain.read(p, report=report)]
            except PolyseqError as e:
                attempts.append(f"{target.name}: reading it back failed: {e}")
                continue
            if got == expected:
                return
            lost = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b), min(len(got), len(expected)))
            back = show(got[lost]) if lost < len(got) else "nothing"
            shown = f"sample #{lost} {show(expected[lost])} read back as {back}"
            attempts.append(f"{target.name}: wrote {len(written)} samples, read back {len(got)} "
                            f"({report.n_bad} bad); first difference: {shown}")
        pytest.fail("the domain's writer does not round-trip through its readers:\n  " + "\n  ".join(attempts),
                    pytrace=False)

    def test_parse(self, polyseq_domain: Any, samples: list[Any], alphabet: Any, sample_strategy: Any,
                   case_sensitive: bool) -> None:
        """Text typed on the command line becomes the same sample: parse(str(sample)) ~ sample."""
        if polyseq_domain.parse is None:
            return
        parse = polyseq_domain.part("parse")
        if not all(isinstance(s, str) for s in samples):
            for i, s in enumerate(samples):
                try:
                    parse(str(s))
                except PolyseqError:
                    pass  # a message for the user: acceptable for text that is no sample
                except Exception as e:
                    pytest.fail(f"parse(str(sample #{i})) raised {type(e).__name__}: {e}")
            return
        default = self._default_tokenizer(polyseq_domain, samples)
        normalize = default.normalize
        inputs = make_inputs(default, samples, alphabet, sample_strategy, case_sensitive, self.generated_examples)

        def check(sample: Any, label: str, generated: bool) -> None:
            try:
                parsed = parse(sample)
            except Exception as e:
                pytest.fail(f"parse({show(sample)}) raised {type(e).__name__}: {e} ({label})")
            assert normalize(parsed) == normalize(sample), (
                f"parse({show(sample)}) gave {show(parsed)}: text typed on the command line must become the same "
                f"sample ({label}, compared after normalize)"
            )

        inputs.each(check)

    def test_metrics(self, polyseq_domain: Any, tokenizer: Any, samples: list[Any], empty_sample: Any) -> None:
        """The domain's metrics on what a model may generate: any ids decoded, empty lists, empty samples."""
        if polyseq_domain.metrics is None:
            return
        metrics, name = polyseq_domain.part("metrics"), tokenizer.type_name
        rng = random.Random(0)
        sequences = [[]] + [[rng.randrange(tokenizer.vocab_size) for _ in range(rng.randint(1, 24))] for _ in range(8)]
        decoded = []
        for ids in sequences:
            try:
                decoded.append(tokenizer.decode(ids))
            except Exception as e:
                pytest.fail(f"{name}: decode({show(ids)}) raised {type(e).__name__}: {e}; a generating model may "
                            "emit any ids, so decode must give a sample (the metrics and the writer judge it)")
        for args, shown in [(([], None), "[]"), (([empty_sample], None), "[empty sample]"),
                            ((decoded, None), f"decoded random ids {show(decoded, 80)}"),
                            ((decoded, list(samples)), "decoded random ids, with the examples as reference")]:
            try:
                values = metrics(*args)
            except Exception as e:
                pytest.fail(f"metrics raised {type(e).__name__} on {shown}: {e}\nMetrics run at every validation of "
                            "a generating model during fit, on whatever it generates.", pytrace=False)
            assert isinstance(values, dict), f"metrics must return a dict, got {show(values)} on {shown}"
            bad = {k: v for k, v in values.items()
                   if not isinstance(k, str) or not isinstance(v, numbers.Real) or isinstance(v, bool)}
            assert not bad, f"metrics must map names to floats; on {shown} got {show(bad)}"
