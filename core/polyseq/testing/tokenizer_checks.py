"""`TokenizerChecks`: the checks of one tokenizer (a base class whose `test_*` methods pytest runs)."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from polyseq.errors import ConfigError, PolyseqError
from polyseq.testing.inputs import (
    MISSING,
    Inputs,
    alternative_values,
    as_inputs,
    characters_of,
    make_inputs,
    named,
    option_parameters,
    prepare_tokenizer,
    same,
    show,
)
from polyseq.tokenizers.base import N_SPECIAL, SKIPPED_ON_DECODE, SPECIAL_IDS, SPECIAL_TOKENS, UNK_ID
from polyseq.tokenizers.offsets import offset_problems
from polyseq.tokenizers.track import Annotated


def sample_length(sample: Any) -> int:
    """The positions offsets index: characters of a string, positions of an annotated sequence."""
    return len(sample.sequence) if isinstance(sample, Annotated) else len(sample)


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


class TokenizerChecks:
    """Checks of one tokenizer. Needs fixtures `tokenizer` and `samples`."""

    #: check name (or `check[param]`) -> reason: a strict xfail
    known_limitations: ClassVar[dict[str, str]] = {}
    #: tokenizer name (or type_name) -> why its encode raises on symbols outside its vocabulary
    rejects_unknown: ClassVar[dict[str, str]] = {}
    #: samples drawn per check, besides the examples and the boundary samples
    generated_examples: ClassVar[int] = 30

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
        if samples and all(isinstance(s, Annotated) for s in samples):  # an unknown symbol in the sequence
            seen = set("".join(s.sequence for s in samples))
            first = next((s for s in samples if s.track), Annotated("", ""))
            odd = next(c for c in "\u2603\U0001f9ec\u0416\x07~" if c not in seen)
            return Annotated(odd + first.sequence, (first.track[:1] or "?") + first.track)
        return MISSING

    @pytest.fixture
    def alphabet(self, samples: list[Any]) -> Any:
        """The symbols generated samples are made of (default: the examples' characters)."""
        return characters_of(samples)

    @pytest.fixture
    def sample_strategy(self) -> Any:
        """A hypothesis strategy of valid samples, used instead of `alphabet` (default: none)."""
        return None

    @pytest.fixture
    def case_sensitive(self) -> bool:
        return True

    @pytest.fixture
    def inputs(self, tokenizer: Any, samples: list[Any], alphabet: Any, sample_strategy: Any,
               case_sensitive: bool) -> Inputs:
        return make_inputs(tokenizer, samples, alphabet, sample_strategy, case_sensitive, self.generated_examples)

    @pytest.fixture
    def base_options(self) -> dict[str, Any]:
        """The options `tokenizer` was built with (what `test_save_load_options` varies from)."""
        return {}

    @pytest.fixture
    def make_tokenizer(self, tokenizer: Any, samples: list[Any]) -> Callable[..., Any]:
        """Build (and train) the tokenizer again with other options."""
        return lambda **options: prepare_tokenizer(type(tokenizer)(**options), samples)

    def _encode(self, tokenizer: Any, sample: Any, label: str) -> list[int]:
        try:
            ids = tokenizer.encode(sample)
        except Exception as e:
            pytest.fail(f"{tokenizer.type_name}: encode failed on {named(label, sample)}: {type(e).__name__}: {e}")
        assert isinstance(ids, list) and all(isinstance(t, int) for t in ids), (
            f"{tokenizer.type_name}: encode must return a list of int, got {show(ids)} for {label}"
        )
        return ids

    def test_round_trip(self, tokenizer: Any, inputs: Inputs, case_sensitive: bool) -> None:
        inputs = as_inputs(inputs)

        def check(sample: Any, label: str, generated: bool) -> None:
            ids = self._encode(tokenizer, sample, label)
            if not case_sensitive and isinstance(sample, str) and sample.lower() != sample.upper():
                lower, upper = tokenizer.encode(sample.lower()), tokenizer.encode(sample.upper())
                assert lower == upper, (
                    f"{tokenizer.type_name}: lower case is the same sample in this domain (case_sensitive=False), "
                    f"but encode({show(sample.lower())}) = {show(lower)} and encode({show(sample.upper())}) = "
                    f"{show(upper)}"
                )
            if generated and getattr(tokenizer, "trainable", False) and UNK_ID in ids:
                return  # a learned vocabulary may lack units the examples never showed it
            expected, got = tokenizer.normalize(sample), tokenizer.decode(ids)
            assert got == expected, (
                f"{tokenizer.type_name}: round trip changed {label}:\n  input    {show(sample)}\n"
                f"  expected {show(expected)}\n  decoded  {show(got)}"
            )

        inputs.each(check)

    def test_ids_in_range(self, tokenizer: Any, inputs: Inputs) -> None:
        inputs = as_inputs(inputs)
        n = tokenizer.vocab_size

        def check(sample: Any, label: str, generated: bool) -> None:
            ids = self._encode(tokenizer, sample, label)
            bad = [t for t in ids if not 0 <= t < n]
            assert not bad, (
                f"{tokenizer.type_name}: ids {bad[:5]} outside [0, vocab_size={n}) for {named(label, sample)}"
            )
            leaked = sorted({SPECIAL_TOKENS[t] for t in ids if t in SKIPPED_ON_DECODE})
            assert not leaked, (
                f"{tokenizer.type_name}: encode must not emit {leaked} (the engine adds them); {named(label, sample)} "
                f"gave {show(ids)}"
            )

        inputs.each(check)

    def test_special_tokens(self, tokenizer: Any) -> None:
        assert dict(tokenizer.special_tokens) == dict(SPECIAL_IDS), (
            f"{tokenizer.type_name}: special token ids {dict(tokenizer.special_tokens)} differ from the fixed "
            f"ids {dict(SPECIAL_IDS)}"
        )
        shown = [tokenizer.id_to_token(i) for i in range(len(SPECIAL_TOKENS))]
        assert shown == list(SPECIAL_TOKENS), f"{tokenizer.type_name}: ids 0..6 display as {shown}"
        assert tokenizer.vocab_size > len(SPECIAL_TOKENS), f"{tokenizer.type_name}: vocabulary has no content tokens"

    def test_special_token_collision(self, tokenizer: Any, samples: list[Any]) -> None:
        name = tokenizer.type_name
        for i in range(N_SPECIAL, min(tokenizer.vocab_size, 1 << 20)):
            token = tokenizer.id_to_token(i)
            assert token not in SPECIAL_TOKENS, (
                f"{name}: special-token collision: content id {i} is the token {token!r}, the text of special "
                f"id {SPECIAL_TOKENS.index(token)}; content tokens must differ from the special ones"
            )
        if not all(isinstance(s, str) for s in samples):
            return
        for token in SPECIAL_TOKENS:
            try:
                ids = tokenizer.encode(token)
            except PolyseqError:
                continue  # rejected as text outside the vocabulary: it cannot collide
            except Exception as e:
                pytest.fail(f"{name}: encode({token!r}) raised {type(e).__name__}: {e}")
            special = sorted({SPECIAL_TOKENS[t] for t in ids if t in SKIPPED_ON_DECODE})
            assert not special, (
                f"{name}: special-token collision: the text {token!r} typed in a sample encodes to {special} "
                f"(ids {ids}); text must never become a special token (the engine adds those)"
            )

    def test_special_tokens_skipped_on_decode(self, tokenizer: Any, samples: list[Any]) -> None:
        ids = self._encode(tokenizer, samples[0], "sample #0")
        padded = [SPECIAL_IDS["bos"], *ids, SPECIAL_IDS["eos"], SPECIAL_IDS["pad"], SPECIAL_IDS["pad"]]
        assert tokenizer.decode(padded) == tokenizer.decode(ids), (
            f"{tokenizer.type_name}: decode must drop <bos>, <eos> and <pad>"
        )

    def test_save_load(self, tokenizer: Any, inputs: Inputs, tmp_path: Path) -> None:
        inputs = as_inputs(inputs)
        from polyseq.tokenizers.serialization import load_tokenizer

        path = tmp_path / "tokenizer.json"
        tokenizer.save(path)
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data.get("type") == tokenizer.type_name, f"saved type {data.get('type')!r} != {tokenizer.type_name!r}"
        loaded = load_tokenizer(path)
        assert type(loaded) is type(tokenizer), f"loaded a {type(loaded).__name__}, saved a {type(tokenizer).__name__}"
        assert loaded.to_config() == tokenizer.to_config(), f"{tokenizer.type_name}: config changed by save/load"
        assert loaded.vocab_size == tokenizer.vocab_size, f"{tokenizer.type_name}: vocab_size changed by save/load"

        def check(sample: Any, label: str, generated: bool) -> None:
            assert loaded.encode(sample) == tokenizer.encode(sample), (
                f"{tokenizer.type_name}: the reloaded tokenizer encodes {named(label, sample)} differently"
            )

        inputs.each(check)

    def test_save_load_options(self, tokenizer: Any, make_tokenizer: Callable[..., Any], base_options: dict[str, Any],
                               inputs: Inputs, tmp_path: Path, kit_note: Callable[[str], None]) -> None:
        """Each constructor option, set to a value other than the one in use, survives save/load."""
        from polyseq.tokenizers.serialization import load_tokenizer

        name = tokenizer.type_name
        not_exercised: list[str] = []
        fixed = Inputs(inputs.examples, inputs.boundary, None, 0)  # per option: examples and boundary samples

        def try_build(options: dict[str, Any]) -> tuple[Any, BaseException | None]:
            try:
                variant = make_tokenizer(**options)
                for s in inputs.examples:
                    variant.encode(s)
                return variant, None
            except Exception as e:  # an invalid value for this option: try the next candidate
                return None, e

        for option, param in option_parameters(type(tokenizer)).items():
            current = base_options.get(option, param.default)
            if not isinstance(current, (bool, int, float, str, type(None))):  # a sentinel default: the value in use
                current = getattr(tokenizer, option, current)
            if current is inspect.Parameter.empty:
                not_exercised.append(f"{option} (required, no value to start from)")
                continue
            others = {k: v for k, v in base_options.items() if k != option}
            candidates = alternative_values(current, param.annotation, lambda v: try_build({**others, option: v})[1])
            variant = value = None
            for value in candidates:
                variant, _ = try_build({**others, option: value})
                if variant is not None:
                    break
            if variant is None:
                tried = ", ".join(map(repr, candidates)) or "no scalar value to try"
                not_exercised.append(f"{option} (tried: {tried})")
                continue
            path = tmp_path / f"{option}.json"
            variant.save(path)
            loaded = load_tokenizer(path)
            config, reloaded = variant.to_config(), loaded.to_config()
            where = (f"to_config() lacks {option!r}" if option not in config
                     else f"to_config()[{option!r}] = {config[option]!r}")
            before, after = getattr(variant, option, MISSING), getattr(loaded, option, MISSING)
            if before is not MISSING and not callable(before) and not same(before, after):
                pytest.fail(f"{name}: option {option!r} did not survive save/load: built with {option}={value!r}, "
                            f"the reloaded tokenizer has {option}={show(after)} ({where})", pytrace=False)
            changed = sorted(k for k in set(config) | set(reloaded) if not same(config.get(k), reloaded.get(k)))
            assert not changed, (
                f"{name}: option {option!r}={value!r} did not survive save/load: to_config() keys {changed} changed "
                f"({where})"
            )
            assert loaded.vocab_size == variant.vocab_size, (
                f"{name}: option {option!r}={value!r} did not survive save/load: vocab_size "
                f"{variant.vocab_size} became {loaded.vocab_size} ({where})"
            )

            def check(sample: Any, label: str, generated: bool, variant: Any = variant, loaded: Any = loaded,
                      option: str = option, value: Any = value, where: str = where) -> None:
                saved, back = variant.encode(sample), loaded.encode(sample)
                assert saved == back, (
                    f"{name}: option {option!r}={value!r} did not survive save/load ({where}): "
                    f"{named(label, sample)} encodes as {show(saved)}, after reloading as {show(back)}"
                )

            fixed.each(check)
        if not_exercised:
            kit_note(f"{name}: options not exercised: {'; '.join(not_exercised)}")

    def test_batch_equals_single(self, tokenizer: Any, inputs: Inputs) -> None:
        inputs = as_inputs(inputs)

        def check(batch: list[Any]) -> None:
            single = [tokenizer.encode(s) for s in batch]
            assert tokenizer.encode_batch(batch) == single, (
                f"{tokenizer.type_name}: encode_batch != encode per sample for the batch {show(batch)}"
            )
            assert tokenizer.decode_batch(single) == [tokenizer.decode(ids) for ids in single], (
                f"{tokenizer.type_name}: decode_batch != decode per sample for the batch {show(batch)}"
            )

        inputs.each_batch(check)

    def test_tokens_match_ids(self, tokenizer: Any, samples: list[Any]) -> None:
        for i, sample in enumerate(samples):
            toks, ids = tokenizer.tokens(sample), tokenizer.encode(sample)
            assert len(toks) == len(ids) and all(isinstance(t, str) for t in toks), (
                f"{tokenizer.type_name}: tokens() gave {len(toks)} strings for {len(ids)} ids (sample #{i})"
            )

    def test_empty_input(self, tokenizer: Any, empty_sample: Any) -> None:
        ids = tokenizer.encode(empty_sample)
        assert ids == [], f"{tokenizer.type_name}: encoding an empty sample gave {show(ids)}"
        assert tokenizer.decode([]) == tokenizer.normalize(empty_sample), (
            f"{tokenizer.type_name}: decode([]) gave {show(tokenizer.decode([]))}"
        )

    def _rejection(self, request: pytest.FixtureRequest, tokenizer: Any) -> tuple[str, str | None]:
        """The key this tokenizer is known by in `rejects_unknown`, and its declared reason (or None)."""
        callspec = getattr(request.node, "callspec", None)
        keys = [str(v) for v in (callspec.params.values() if callspec else ()) if isinstance(v, str)]
        keys += [callspec.id] if callspec else []
        keys.append(tokenizer.type_name)
        for key in keys:
            if key in self.rejects_unknown:
                return key, self.rejects_unknown[key]
        return keys[0], None

    def test_unknown_symbols(self, tokenizer: Any, unknown_sample: Any, request: pytest.FixtureRequest) -> None:
        if unknown_sample is MISSING:
            pytest.fail("samples are not strings: override the `unknown_sample` fixture with a sample holding "
                        "symbols outside the vocabulary, or declare a known limitation for this check")
        name = tokenizer.type_name
        key, declared = self._rejection(request, tokenizer)
        try:
            ids = tokenizer.encode(unknown_sample)
        except Exception as e:
            if declared is None:
                pytest.fail(
                    f"{name}: encode raised {type(e).__name__} on unknown symbols {show(unknown_sample)}: {e}\n"
                    "A tokenizer maps symbols outside its vocabulary to <unk> (or keeps them exactly). If raising is "
                    f"its documented behaviour, declare it in the test class: rejects_unknown = {{{key!r}: 'why'}}",
                    pytrace=False)
            assert isinstance(e, PolyseqError), (
                f"{name} is declared to reject unknown symbols ({declared}), but raised {type(e).__name__}, not a "
                f"PolyseqError whose message tells the user what to do: {e}"
            )
            return
        assert declared is None, (
            f"rejects_unknown says {key!r} raises on unknown symbols ({declared}), but encode accepted "
            f"{show(unknown_sample)}: remove the declaration"
        )
        n = tokenizer.vocab_size
        assert all(0 <= t < n for t in ids), f"{name}: unknown symbols gave ids outside the vocabulary"
        exact = tokenizer.decode(ids) == tokenizer.normalize(unknown_sample)
        assert exact or UNK_ID in ids, (
            f"{name}: {show(unknown_sample)} neither round-trips nor maps to <unk>: unknown symbols were silently "
            "changed"
        )

    def test_offsets(self, tokenizer: Any, inputs: Inputs) -> None:
        inputs = as_inputs(inputs)
        encode_with_offsets = getattr(tokenizer, "encode_with_offsets", None)
        if encode_with_offsets is None:
            return  # offsets are optional (see polyseq.tokenizers.base.TokenizerWithOffsets)
        try:
            encode_with_offsets(inputs.examples[0])
        except ConfigError:
            return  # the tokenizer's options rule offsets out, and it says which: an accepted answer

        def check(sample: Any, label: str, generated: bool) -> None:
            ids, spans = encode_with_offsets(sample)
            assert ids == self._encode(tokenizer, sample, label), (
                f"{tokenizer.type_name}: encode_with_offsets gave ids {show(ids)} for {label}, "
                f"encode gave {show(tokenizer.encode(sample))}"
            )
            problems = offset_problems(sample_length(sample), ids, spans)
            assert not problems, f"{tokenizer.type_name}: bad offsets for {named(label, sample)}: {problems}"

        inputs.each(check)
