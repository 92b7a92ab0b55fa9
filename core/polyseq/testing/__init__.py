"""The conformance kit: a pytest plugin that checks a domain's tokenizers, readers and other parts.

A plugin author enables it in three lines (pandas' extension tests and scikit-learn's estimator
checks are the models)::

    pytest_plugins = ["polyseq.testing"]
    from polyseq.testing import DomainChecks
    class TestProtein(DomainChecks): domain = "protein"

Every check is a test method with a stable name (`test_round_trip`, `test_save_load`...), run
once per tokenizer of the domain (ids are tokenizer names) or once per reader suffix, so
`-k "round_trip and kmer"` selects one. A limitation the domain knows of is declared, with its
reason, in `known_limitations` (keys: a check name, or `check[param]`) and becomes a strict
xfail: the day it is fixed, the kit says so. A tokenizer that raises on symbols outside its
vocabulary by design says so in `rejects_unknown` (tokenizer name -> reason).

Inputs: the domain's examples, then samples drawn with hypothesis (deterministically, the
smallest failing one reported) from `Domain.sample_strategy`, else `Domain.alphabet`, else the
characters of the examples, with lengths 0 to k+1 and beyond (k of a k-mer tokenizer) and lower
case mixed in when `Domain.case_sensitive` is False.

Fixtures an author may override: `samples` (default `Domain.examples`), `tokenizer_options`
(a class attribute: options per tokenizer name), `empty_sample`, `unknown_sample` (a sample with
symbols outside the vocabulary), `invalid_sample` (one the validator must reject),
`example_files` (default: `Domain.example_files` written to a temporary folder), `mixed_file`
(a file of good and malformed records), `sample_strategy`, `alphabet`, `case_sensitive`,
`make_tokenizer` (builds the tokenizer with other options), `written_path` (where the writer writes).

The package: `tokenizer_checks.py` and `domain_checks.py` hold the checks, `inputs.py` what they
run on (generated samples, other option values), `files.py` the reader checks' files; this module
is the pytest plugin (parametrisation, known limitations, the verbose notes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from polyseq.testing.domain_checks import DomainChecks
from polyseq.testing.files import GARBAGE_LINES, MixedFile, build_mixed_file, line_problems
from polyseq.testing.inputs import (
    Inputs,
    alternative_values,
    boundary_samples,
    make_inputs,
    prepare_tokenizer,
    resolve_strategy,
    run_generated,
)
from polyseq.testing.tokenizer_checks import TokenizerChecks, covered_text

__all__ = [
    "GARBAGE_LINES", "DomainChecks", "Inputs", "MixedFile", "TokenizerChecks", "alternative_values",
    "boundary_samples", "build_mixed_file", "covered_text", "line_problems", "make_inputs", "prepare_tokenizer",
    "resolve_strategy", "run_generated",
]

_NOTES = pytest.StashKey[list[str]]()


@pytest.fixture
def kit_note(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Record a note shown at the end of a verbose run (`-v`): what a check could not exercise."""
    notes = request.config.stash.setdefault(_NOTES, [])
    return lambda text: notes.append(f"{request.node.nodeid}: {text}")


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


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    notes = config.stash.get(_NOTES, [])
    if notes and config.get_verbosity() > 0:
        terminalreporter.section("polyseq conformance kit: not exercised")
        for note in notes:
            terminalreporter.line(note)
