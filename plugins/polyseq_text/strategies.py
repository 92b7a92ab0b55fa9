"""Texts for the conformance kit (`Domain.sample_strategy`); only the kit imports this module.

Any Unicode text a file can hold: every character but lone surrogates (category Cs), which no
UTF-8 file decodes to; up to 30 characters, so that a few dozen draws cover scripts, emoji,
whitespace and control characters rather than length.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def any_text() -> Any:
    return st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
