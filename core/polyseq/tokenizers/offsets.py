"""Token offsets: where in the sample each token came from, as Hugging Face tokenizers' `Encoding.offsets`.

A per-token labelling task has labels per character of the sample and needs them per token; the
tokenizer says which characters each token covers. A tokenizer that can gives offsets by having
the optional method `encode_with_offsets(sample) -> (ids, spans)` (the contract is in
`polyseq.tokenizers.base.TokenizerWithOffsets`); the engine asks through `token_offsets`, which
turns a missing method into a `ConfigError` naming the tokenizer. The other functions here are the
spans most tokenizers share (one per character; one per UTF-8 byte) and the invariants that
every answer must satisfy (`offset_problems`, used by the conformance kit).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from polyseq.errors import ConfigError

Span = tuple[int, int]  # a half-open [start, end) range of sample positions (characters for strings)


def token_offsets(tokenizer: Any, sample: Any) -> tuple[list[int], list[Span]]:
    """`tokenizer.encode_with_offsets(sample)`: the ids `encode(sample)` gives and one span per id.

    Raises `ConfigError` when the tokenizer gives no offsets: it has no `encode_with_offsets`
    (MIDI schemes, SELFIES), or its options rule them out (`canonical=True` SMILES tokenizers).
    """
    encode = getattr(tokenizer, "encode_with_offsets", None)
    if encode is None:
        name = getattr(tokenizer, "type_name", type(tokenizer).__name__)
        raise ConfigError(f"tokenizer {name!r} gives no token offsets (encode_with_offsets); the tag task needs them")
    return encode(sample)


def char_spans(n: int) -> list[Span]:
    """One span per character: [(0, 1), (1, 2), ..., (n-1, n)]."""
    return list(zip(range(n), range(1, n + 1)))


def utf8_char_spans(text: str) -> list[Span]:
    """One span per UTF-8 byte of `text`: the span of the character the byte belongs to."""
    if text.isascii():
        return char_spans(len(text))
    import numpy as np  # here, not at the top: importing polyseq must not import numpy

    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    n_bytes = 1 + (points >= 0x80) + (points >= 0x800) + (points >= 0x10000)
    starts = np.repeat(np.arange(len(points)), n_bytes).tolist()
    return list(zip(starts, [s + 1 for s in starts]))


def spans_from_arrays(starts: Any, ends: Any) -> list[Span]:
    """Spans from numpy arrays of starts and ends (what the vectorised tokenizers compute)."""
    return list(zip(starts.tolist(), ends.tolist()))


def offset_problems(sample_length: int, ids: Sequence[int], spans: Sequence[Any], limit: int = 3) -> list[str]:
    """What is wrong with `spans` as the offsets of `ids` for a sample of `sample_length` positions.

    The rules: one (start, end) pair of ints per id; 0 <= start <= end <= sample_length; starts
    never decrease. An empty list means the spans are valid.
    """
    if len(spans) != len(ids):
        return [f"{len(spans)} spans for {len(ids)} ids"]
    problems: list[str] = []
    previous = 0
    for j, span in enumerate(spans):
        if not (isinstance(span, tuple) and len(span) == 2 and all(type(x) is int for x in span)):
            problems.append(f"span #{j} is {span!r}, not a (start, end) tuple of int")
        elif not 0 <= span[0] <= span[1] <= sample_length:
            problems.append(f"span #{j} {span} is not within 0 <= start <= end <= {sample_length}")
        elif span[0] < previous:
            problems.append(f"span #{j} {span} starts before an earlier span ({previous}): starts must not decrease")
        else:
            previous = span[0]
        if len(problems) >= limit:
            break
    return problems
