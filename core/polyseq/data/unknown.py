"""How much of a tokenized input became <unk>, and which symbols did: `fit` and `tokenize` report
it, and warn above `UNK_WARN_SHARE`, since an <unk> is information the model silently never sees
(RNA read by the DNA domain: every U, a quarter of the tokens)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from polyseq.tokenizers.base import UNK_ID

log = logging.getLogger("polyseq.data")

#: above this share of <unk> tokens, a warning names the unknown symbols
UNK_WARN_SHARE = 0.01


def unknown_share(seqs: Sequence[Sequence[int]]) -> tuple[int, int]:
    """(number of <unk> ids, number of ids) over `seqs` (lists or numpy arrays)."""
    n_unk = n = 0
    for ids in seqs:
        n += len(ids)
        if hasattr(ids, "dtype"):
            n_unk += int((ids == UNK_ID).sum())
        else:
            n_unk += sum(1 for i in ids if i == UNK_ID)
    return n_unk, n


def unknown_symbols(tokenizer: Any, samples: Sequence[Any], seqs: Sequence[Sequence[int]], limit: int = 5) -> list[str]:
    """Up to `limit` characters of text samples that the tokenizer maps to <unk> on their own,
    most frequent first (empty for samples that are not text)."""
    counts: Counter[str] = Counter()
    for sample, ids in zip(samples, seqs, strict=False):
        if not isinstance(sample, str) or not any(i == UNK_ID for i in ids):
            continue
        chars = Counter(sample)
        for c, n in chars.items():
            if c not in counts and UNK_ID in list(tokenizer.encode(c)):
                counts[c] = 0
            if c in counts:
                counts[c] += n
        if len(counts) >= limit * 4:
            break
    return [c for c, _ in counts.most_common(limit)]


def warn_unknown(tokenizer: Any, samples: Sequence[Any], seqs: Sequence[Sequence[int]], what: str,
                 totals: tuple[int, int] | None = None) -> str | None:
    """Log the share of <unk> tokens of `what`; a warning with examples when above UNK_WARN_SHARE,
    whose text is returned (None when below). `totals`: (n_unk, n) counted elsewhere (a streamed build)."""
    n_unk, n = totals or unknown_share(seqs)
    share = n_unk / n if n else 0.0
    if share > UNK_WARN_SHARE:
        symbols = unknown_symbols(tokenizer, samples, seqs)
        shown = ", ".join(repr(c) for c in symbols) if symbols else "(not single characters)"
        message = (f"{what}: {n_unk} of {n} tokens ({100 * share:.1f}%) are <unk>; unknown symbols: {shown}. The model "
                   "never sees what they were: check the input is this domain's, or choose a tokenizer that covers them")
        log.warning(message)
        return message
    log.info("%s: %d of %d tokens (%.2f%%) are <unk>", what, n_unk, n, 100 * share)
    return None
