"""What the kit's checks run on: the examples, boundary samples and samples drawn with hypothesis;
and, for `test_save_load_options`, the other values a tokenizer's options can take."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

MISSING = object()


def show(x: Any, limit: int = 160) -> str:
    """`repr(x)`, shortened in the middle when long."""
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


# ------------------------------------------------------------------------------------------------
# Generated inputs
# ------------------------------------------------------------------------------------------------


def _hypothesis() -> Any:
    try:
        import hypothesis
    except ImportError:
        pytest.fail("the conformance kit draws samples with hypothesis: pip install hypothesis (polyseq[dev])")
    return hypothesis


def resolve_strategy(ref: Any) -> Any:
    """A hypothesis strategy from a strategy, a callable returning one, or a "module:attr" naming either."""
    from polyseq.domain import resolve

    strategies = _hypothesis().strategies
    obj = resolve(ref, "sample_strategy")
    if not isinstance(obj, strategies.SearchStrategy) and callable(obj):
        obj = obj()
    if not isinstance(obj, strategies.SearchStrategy):
        pytest.fail(f"sample_strategy must be a hypothesis strategy (or a callable returning one), got {show(obj)}")
    return obj


def boundary_lengths(k: int) -> list[int]:
    """Every length up to k+1 (where k-mer code has its edge cases), then 2k and 2k+1."""
    return sorted({*range(k + 2), 2 * k, 2 * k + 1})


def boundary_samples(symbols: Sequence[str], k: int, case_sensitive: bool) -> list[str]:
    """One sample per boundary length, cycling through the symbols; lower-case copies too when
    case does not matter. Shortest first, so the first failure is the smallest."""
    out = ["".join(symbols[i % len(symbols)] for i in range(n)) for n in boundary_lengths(k)]
    if not case_sensitive:
        out += [s.lower() for s in out if s.lower() != s]
    return out


def alphabet_strategy(symbols: Sequence[str], k: int, case_sensitive: bool) -> Any:
    """Strings of `symbols`, lengths 0 to 3k+8 (boundary lengths favoured), lower case mixed in
    symbol by symbol when case does not matter."""
    st = _hypothesis().strategies
    pool = list(symbols)
    if not case_sensitive:
        pool += [s.lower() for s in symbols if s.lower() != s and s.lower() not in symbols]
    lengths = st.one_of(st.sampled_from(boundary_lengths(k)), st.integers(0, 3 * k + 8))
    return lengths.flatmap(lambda n: st.lists(st.sampled_from(pool), min_size=n, max_size=n)).map("".join)


def run_generated(strategy: Any, check: Callable[[Any], None], max_examples: int) -> None:
    """Run `check` on samples drawn from `strategy`: deterministic (derandomised, no database),
    and on failure hypothesis shrinks to the smallest failing sample before re-raising."""
    hyp = _hypothesis()

    @hyp.settings(max_examples=max_examples, derandomize=True, database=None, deadline=None, print_blob=False,
                  suppress_health_check=list(hyp.HealthCheck),
                  phases=(hyp.Phase.explicit, hyp.Phase.generate, hyp.Phase.shrink))
    @hyp.given(strategy)
    def generated(sample: Any) -> None:
        check(sample)

    generated()


@dataclass
class Inputs:
    """What a check runs on: the examples, fixed boundary samples, then drawn samples."""

    examples: list[Any]
    boundary: list[Any]
    strategy: Any  # a hypothesis strategy, or None when samples cannot be generated
    max_examples: int

    def each(self, check: Callable[[Any, str, bool], None]) -> None:
        """`check(sample, label, generated)` on every input; stops at the first failure."""
        for i, s in enumerate(self.examples):
            check(s, f"sample #{i}", False)
        for s in self.boundary:
            check(s, f"generated sample {show(s)}", True)
        if self.strategy is not None and self.max_examples > 0:
            run_generated(self.strategy, lambda s: check(s, f"generated sample {show(s)}", True), self.max_examples)

    def each_batch(self, check: Callable[[list[Any]], None]) -> None:
        check(list(self.examples))
        if self.boundary:
            check(list(self.boundary))
        if self.strategy is not None and self.max_examples > 0:
            st = _hypothesis().strategies
            run_generated(st.lists(self.strategy, max_size=6), check, max(1, self.max_examples // 2))


def named(label: str, sample: Any) -> str:
    """`label` with the sample shown: an example's label is its number, a generated one's shows it already."""
    return label if label.startswith("generated") else f"{label} {show(sample)}"


def as_inputs(inputs: Inputs | Sequence[Any]) -> Inputs:
    """Checks called directly with a list of samples (not through pytest) run on those samples only."""
    return inputs if isinstance(inputs, Inputs) else Inputs(list(inputs), [], None, 0)


def symbols_of(alphabet: Any) -> list[str] | None:
    if alphabet is None:
        return None
    symbols = list(dict.fromkeys(alphabet))  # a string gives its characters; order kept, duplicates dropped
    bad = [s for s in symbols if not isinstance(s, str) or not s]
    if bad or not symbols:
        pytest.fail(f"alphabet must be a non-empty string or sequence of non-empty strings, got {show(alphabet)}")
    return symbols


def characters_of(samples: Sequence[Any]) -> str | None:
    """The characters of string samples, in order of appearance (None for other samples)."""
    if samples and all(isinstance(s, str) for s in samples):
        return "".join(dict.fromkeys("".join(samples))) or None
    return None


def make_inputs(tokenizer: Any, samples: list[Any], alphabet: Any, sample_strategy: Any, case_sensitive: bool,
                max_examples: int) -> Inputs:
    """The inputs of a check of `tokenizer`: lengths around its `k` when it has one."""
    k = getattr(tokenizer, "k", None)
    k = k if isinstance(k, int) and not isinstance(k, bool) and k > 0 else 1
    if sample_strategy is not None:
        strategy = resolve_strategy(sample_strategy)
        if not case_sensitive:
            st = _hypothesis().strategies
            strategy = st.tuples(strategy, st.booleans()).map(
                lambda t: t[0].lower() if t[1] and isinstance(t[0], str) else t[0])
        return Inputs(list(samples), [], strategy, max_examples)
    symbols = symbols_of(alphabet)
    if symbols is None:
        return Inputs(list(samples), [], None, 0)
    return Inputs(list(samples), boundary_samples(symbols, k, case_sensitive),
                  alphabet_strategy(symbols, k, case_sensitive), max_examples)


# ------------------------------------------------------------------------------------------------
# Constructor options for the save/load check
# ------------------------------------------------------------------------------------------------

_PROBE = "polyseq-kit-probe"


def option_parameters(cls: type) -> dict[str, inspect.Parameter]:
    """The keyword options of a tokenizer class's constructor."""
    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return {}
    return {n: p for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def _choices_in(message: str) -> list[str]:
    """Values an error message offers: quoted ones ('fold' or 'keep') and an `Available: a, b.` list."""
    found = re.findall(r"'([^'\n]{1,40})'|\"([^\"\n]{1,40})\"", message)
    values = [a or b for a, b in found]
    listed = re.search(r"(?:Available|choices|one of)[:\s]+([^.\n]+)", message, re.I)
    if listed:
        values += [v.strip(" '\"") for v in listed.group(1).split(",")]
    return [v for v in dict.fromkeys(values) if v and v != _PROBE]


def alternative_values(current: Any, annotation: Any, try_build: Callable[[Any], BaseException | None]) -> list[Any]:
    """Non-default values to try for one option: a bool flipped, an int moved by one (or doubled),
    a str from the choices the tokenizer's error lists when it rejects a probe value."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", repr(annotation))
    if isinstance(current, bool):
        return [not current]
    if isinstance(current, int):
        return [v for v in (current + 1, current - 1, current * 2) if v != current]
    if isinstance(current, float):
        return [current * 2, current / 2]
    if isinstance(current, str):
        error = try_build(_PROBE)
        return [_PROBE] if error is None else [v for v in _choices_in(str(error)) if v != current][:6]
    if current is None:
        if re.search(r"\bbool\b", text):
            return [True, False]
        if re.search(r"\bint\b", text):
            return [64, 100, 300, 1000]
        if re.search(r"\bfloat\b", text):
            return [0.5]
    return []


def same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # arrays and other objects without a plain ==: not comparable here
        return True
