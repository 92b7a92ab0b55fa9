"""`Domain`: everything the engine needs to know about one kind of sequence.

A domain plugin builds one `Domain` and registers it; the engine never imports a domain package.
Callables may be given as `"module:attr"` strings so that listing plugins does not import RDKit,
mido or Biopython: they are imported the first time they are used.
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyseq.errors import BadRecordError, ConfigError, PluginError, PolyseqError, ReaderError, unknown_name
from polyseq.records import BadRecord, ReadReport, Record
from polyseq.textio import CUT_ERRORS, cut_short

Ref = Any  # a callable or class, or a "module:attr" string naming one

#: reader key for a directory (e.g. a tree of source files)
DIRECTORY = "/"

#: the longest record `Domain.read` passes on, in bytes of UTF-8 text; a longer one becomes a
#: BadRecord naming its size. Tokenizing or training on one huge record costs many times its size
#: in memory (a 50 MB SMILES line took 23 GB), so it is refused rather than risked.
#: `$POLYSEQ_MAX_RECORD_BYTES` or `--data.max_record_bytes` change it; 0 means no limit.
DEFAULT_MAX_RECORD_BYTES = 10_000_000


def max_record_bytes(value: int | None = None) -> int:
    """`value`, else `$POLYSEQ_MAX_RECORD_BYTES`, else the default (0: no limit)."""
    if value is None:
        env = os.environ.get("POLYSEQ_MAX_RECORD_BYTES", "").strip()
        if not env:
            return DEFAULT_MAX_RECORD_BYTES
        try:
            value = int(env.replace("_", ""))
        except ValueError:
            raise ConfigError(f"POLYSEQ_MAX_RECORD_BYTES must be a whole number of bytes (0: no limit), got {env!r}") from None
    if value < 0:
        raise ConfigError(f"the record size limit must be >= 0 bytes (0: no limit), got {value}")
    return value


def record_bytes(sample: Any, limit: int) -> int:
    """The UTF-8 size of a text (or bytes) sample, computed only when it could exceed `limit`; 0
    for other samples (a MIDI score is bounded by its file)."""
    if isinstance(sample, (bytes, bytearray)):
        return len(sample)
    if isinstance(sample, str):
        return len(sample) if len(sample) * 4 <= limit else len(sample.encode("utf-8", "surrogatepass"))
    return 0


def too_long(sample: Any, limit: int | None = None) -> str | None:
    """Why `sample` is over the record size limit (`limit`, else `$POLYSEQ_MAX_RECORD_BYTES`, else
    the default), or None. Domain.read applies it to every record; a reader whose validation costs
    many times the record (parsing a molecule) calls it first (`polyseq.too_long`)."""
    limit = max_record_bytes() if limit is None else limit
    size = record_bytes(sample, limit) if limit else 0
    if size > limit:
        return (f"record of {size:,} bytes is longer than the limit of {limit:,} bytes (split it, or "
                "raise --data.max_record_bytes / $POLYSEQ_MAX_RECORD_BYTES; 0: no limit)")
    return None


def resolve(ref: Ref, what: str) -> Any:
    """Import a `"module:attr"` reference (or return the object itself); `what` names it in errors."""
    if not isinstance(ref, str):
        return ref
    module_name, _, attr = ref.partition(":")
    if not attr:
        raise PluginError(f"{what}: reference {ref!r} must look like 'package.module:name'")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except ImportError as e:
        raise PluginError(f"{what}: cannot import {module_name!r} ({type(e).__name__}: {e})") from e
    except AttributeError:
        raise PluginError(f"{what}: module {module_name!r} has no attribute {attr!r}") from None
    return obj


def call_with_options(fn: Callable[..., Any], what: str, *args: Any, **options: Any) -> Any:
    """Call `fn(*args, **options)`; an option it does not accept is a ConfigError naming the choices."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn(*args, **options)
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        accepted = [n for n, p in params.items() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
        unknown = [k for k in options if k not in accepted]
        if unknown:
            raise ConfigError(
                f"{what}: unknown option(s) {', '.join(unknown)}. Accepted: {', '.join(accepted) or '(none)'}."
            )
    return fn(*args, **options)


@dataclass(frozen=True)
class Domain:
    """A sequence domain, as registered by a plugin.

    Required:
        name: short lower-case name used on the command line (`dna`, `smiles`).
        description: one line shown by `polyseq plugins`.
        tokenizers: name -> tokenizer class (or "module:Class"); the class is called with the
            user's options as keyword arguments.
        default_tokenizer: the name `make_tokenizer()` uses when none is given.
        readers: file suffix (".fa", ".fa.gz", ".csv"; "/" for a directory) -> reader. A reader is
            `reader(path: Path, **options) -> Iterable[Record | BadRecord]`; it yields a
            `BadRecord` for each record it cannot use (never drops one) and raises `ReaderError`
            when the file as a whole cannot be read. Gzip files fall back to the reader of the
            suffix under `.gz` when none is registered for the full suffix.

    Optional:
        examples: a few valid samples (the conformance kit round-trips them; `polyseq tokenize`
            shows them).
        parse: turns text typed on the command line into a sample (default: the text itself).
        validator: `validator(sample) -> None | str`: None when valid, else the reason.
        augmentations: name -> `aug(sample, rng: random.Random) -> sample`.
        metrics: `metrics(samples, reference=None) -> dict[str, float]` on generated samples.
        writer: `writer(samples, path) -> list[Path]`: writes samples in the domain's file format.
        splits: name -> `split(records, fractions, seed) -> list[list[int]]` (indices per part).
        example_files: `example_files(folder: Path) -> list[Path]`: writes small valid files,
            one per reader suffix, for the conformance kit's reader checks.
        alphabet: the symbols samples are made of (a string of characters, or a sequence of
            symbols); the conformance kit generates samples from it (lengths 0 to k+1 and beyond).
        sample_strategy: a hypothesis strategy (or "module:attr" naming one, or a callable
            returning one) of valid samples; the kit uses it instead of `alphabet`.
        case_sensitive: False when lower case is the same sample as upper case (DNA, proteins):
            the kit then also checks lower-case inputs.
        target_option: the name of the reader option that selects the target column or field;
            `--data.target` is passed under it. The core readers and the built-in domains all call
            it `target` (and the sample column `column`); keep the default.
    """

    name: str
    description: str
    tokenizers: Mapping[str, Ref]
    default_tokenizer: str
    readers: Mapping[str, Ref]
    examples: Sequence[Any] = ()
    parse: Ref | None = None
    validator: Ref | None = None
    augmentations: Mapping[str, Ref] = field(default_factory=dict)
    metrics: Ref | None = None
    writer: Ref | None = None
    splits: Mapping[str, Ref] = field(default_factory=dict)
    example_files: Ref | None = None
    alphabet: str | Sequence[str] | None = None
    sample_strategy: Ref | None = None
    case_sensitive: bool = True
    target_option: str = "target"

    def __post_init__(self) -> None:
        problems = []
        if not self.name or not self.name.replace("_", "").isalnum() or self.name != self.name.lower():
            problems.append(f"Domain.name must be lower-case letters, digits or '_', got {self.name!r}")
        if self.default_tokenizer not in self.tokenizers:
            problems.append(
                f"Domain {self.name!r}: default_tokenizer {self.default_tokenizer!r} is not one of its "
                f"tokenizers ({', '.join(self.tokenizers) or 'none'})"
            )
        for suffix in self.readers:
            if not (suffix == DIRECTORY or suffix.startswith(".")):
                problems.append(f"Domain {self.name!r}: reader key {suffix!r} must be a suffix like '.fa' or '/'")
        if problems:
            raise ConfigError(problems)

    # ---- tokenizers ------------------------------------------------------------------------

    def tokenizer_names(self, registry: Any = None) -> list[str]:
        """The domain's own tokenizers, then the cross-domain ones it does not shadow."""
        registry = registry or _registry()
        return list(self.tokenizers) + [n for n in registry.tokenizers if n not in self.tokenizers]

    def tokenizer_class(self, name: str | None = None, registry: Any = None) -> type:
        name = name or self.default_tokenizer
        if name in self.tokenizers:
            return resolve(self.tokenizers[name], f"domain {self.name!r}, tokenizer {name!r}")
        registry = registry or _registry()
        if name in registry.tokenizers:
            return registry.tokenizer_class(name)
        raise unknown_name("tokenizer", name, self.tokenizer_names(registry), where=f" for domain {self.name!r}")

    def make_tokenizer(self, name: str | None = None, **options: Any) -> Any:
        """A new tokenizer (the domain's default when `name` is None), built with `options`."""
        name = name or self.default_tokenizer
        cls = self.tokenizer_class(name)
        return call_with_options(cls, f"tokenizer {name!r} of domain {self.name!r}", **options)

    # ---- readers ---------------------------------------------------------------------------

    def reader_for(self, path: str | os.PathLike[str]) -> Callable[..., Any]:
        path = Path(path)
        if path.is_dir():
            if DIRECTORY in self.readers:
                return resolve(self.readers[DIRECTORY], f"domain {self.name!r}, directory reader")
            raise ReaderError(f"{path}: is a directory, and domain {self.name!r} reads files only")
        name = path.name.lower()
        candidates = [name, name[:-3]] if name.endswith(".gz") else [name]
        for candidate in candidates:
            matches = [s for s in self.readers if s != DIRECTORY and candidate.endswith(s)]
            if matches:
                suffix = max(matches, key=len)
                return resolve(self.readers[suffix], f"domain {self.name!r}, reader for {suffix!r}")
        known = ", ".join(s for s in self.readers if s != DIRECTORY)
        raise ReaderError(
            f"{path}: domain {self.name!r} has no reader for this file type. Readable suffixes: {known}. "
            "Rename the file, or convert it to one of these formats."
        )

    def read(
        self,
        path: str | os.PathLike[str],
        *,
        strict: bool = False,
        report: ReadReport | None = None,
        max_bytes: int | None = None,
        **options: Any,
    ) -> Iterator[Record]:
        """Records from one file (or directory), bad ones counted in `report`.

        A record longer than `max_bytes` (default: `max_record_bytes()`, 10 MB; 0: no limit) is a
        bad record naming its size and the limit.

        Missing files and unknown file types fail here, before iteration starts. Bad records are
        skipped and counted (`report.bad`); without a `report`, a warning lists them when the
        iteration ends. With `strict=True` the first bad record raises `BadRecordError`.
        """
        path = Path(path)
        if not path.exists():
            raise ReaderError(f"{path}: no such file or directory")
        reader = self.reader_for(path)
        if not path.is_dir() and not os.access(path, os.R_OK):
            raise ReaderError(f"{path}: permission denied (the file exists but cannot be read)")
        own_report = report is None
        report = ReadReport() if report is None else report
        report.files.append(str(path))
        options = _standard_options(reader, options, f"reader of domain {self.name!r} for {path.name}")
        if self.target_option in options and not _accepts(reader, self.target_option):
            raise ConfigError(
                f"reader of domain {self.name!r} for {path.name} takes no {self.target_option!r} option, so "
                f"--data.target cannot select a label column: give the reader a `{self.target_option}` parameter "
                "(the core readers polyseq.read_table, read_jsonl and read_fasta_like have one; see "
                "docs/writing-a-plugin.md, 'Labels and targets'), or use a file type whose reader has it"
            )
        items = call_with_options(reader, f"reader of domain {self.name!r} for {path.name}", path, **options)
        return self._records(path, items, strict, report, own_report, max_record_bytes(max_bytes))

    def _records(
        self, path: Path, items: Any, strict: bool, report: ReadReport, own_report: bool, limit: int = 0
    ) -> Iterator[Record]:
        line = 0
        try:
            for item in items:
                line = (item.meta or {}).get("line") or line
                if limit and not isinstance(item, BadRecord):
                    reason = too_long(item.sample, limit)
                    if reason:
                        item = BadRecord(reason, item.meta)
                if isinstance(item, BadRecord):
                    if strict:
                        raise BadRecordError(f"{item.where}: {item.reason} (strict mode: fix or remove this record)")
                    report.bad.append(item)
                    continue
                report.n_records += 1
                yield item
        except PolyseqError:
            raise
        except CUT_ERRORS as e:  # a truncated or damaged gzip: the records before it are kept, it is one bad record
            cut = BadRecord(cut_short(e, line), {"source": str(path), "line": line + 1})
            if strict:
                raise BadRecordError(f"{cut.where}: {cut.reason} (strict mode)") from e
            report.bad.append(cut)
        except (OSError, UnicodeDecodeError) as e:
            raise ReaderError(f"{path}: cannot be read by domain {self.name!r}: {type(e).__name__}: {e}") from e
        except Exception as e:  # a bug in the reader: keep the traceback, say where it happened
            e.add_note(f"while domain {self.name!r} was reading {path}")
            raise
        if own_report:
            report.warn_if_bad()

    # ---- optional parts ----------------------------------------------------------------------

    def parse_text(self, text: str) -> Any:
        """A sample from command-line text (identity unless the domain declares `parse`)."""
        if self.parse is None:
            return text
        return resolve(self.parse, f"domain {self.name!r}, parse")(text)

    def unknown_augmentations(self, names: Sequence[str], flag: str = "--data.augment") -> list[str]:
        """A problem per name that is not one of this domain's augmentations, naming `flag` and listing them."""
        known = ", ".join(self.augmentations) or "(none)"
        return [f"{flag}: domain {self.name!r} has no augmentation {n!r}. Available: {known}"
                for n in names if n not in self.augmentations]

    def augmenter(self, names: Sequence[str], flag: str = "--data.augment") -> Callable[[Any, Any], Any]:
        """`aug(sample, rng) -> sample` applying the named augmentations in order; an unknown name is
        a ConfigError naming `flag` and listing the domain's augmentations."""
        if problems := self.unknown_augmentations(names, flag):
            raise ConfigError("; ".join(problems))
        augs = [resolve(self.augmentations[n], f"augmentation {n!r}") for n in names]

        def augment(sample: Any, rng: Any) -> Any:
            for aug in augs:
                sample = aug(sample, rng)
            return sample

        return augment

    def part(self, attribute: str) -> Any:
        """The resolved optional part (`"validator"`, `"writer"`, `"metrics"`...), or a clear error."""
        ref = getattr(self, attribute, None)
        if ref is None:
            raise PolyseqError(f"domain {self.name!r} provides no {attribute}")
        return resolve(ref, f"domain {self.name!r}, {attribute}")


#: reader option names the built-in domains used before they all took `column` and `target`
LEGACY_OPTIONS: Mapping[str, str] = {
    "text_column": "column", "code_field": "column", "field": "column", "smiles_column": "column",
    "target_column": "target", "label_field": "target", "label": "target", "targets": "target",
}


def _accepts(fn: Callable[..., Any], option: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return True
    return option in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _standard_options(reader: Callable[..., Any], options: dict[str, Any], what: str) -> dict[str, Any]:
    """`options` with the old per-domain names (`text_column`, `targets`...) renamed to `column` and
    `target` when the reader takes the new name and not the old one, with a warning saying so."""
    out = dict(options)
    for old, new in LEGACY_OPTIONS.items():
        if old in out and not _accepts(reader, old) and _accepts(reader, new):
            if new in out:
                raise ConfigError(f"{what}: options {old!r} and {new!r} both given; {old!r} is the old name of {new!r}")
            import warnings

            warnings.warn(f"{what}: reader option {old!r} is now called {new!r}", FutureWarning, stacklevel=4)
            out[new] = out.pop(old)
    return out


def _registry() -> Any:
    from polyseq.plugins import registry

    return registry()
