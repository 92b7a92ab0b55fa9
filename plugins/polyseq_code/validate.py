"""Is this code well formed? Python by its own parser, other languages by their Pygments lexer.

A sample's language is the one it carries (`SourceCode` from the readers), else the `language`
argument, else Python - the language of the domain's examples and default tokenizer. For Python,
`ast.parse` is a full syntax check; for other languages, "valid" means the lexer found no
`Error` token (an unterminated string, a character the language does not use): a lexical check,
weaker than a parser, and the only one Pygments offers for every language.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence
from typing import Any

from polyseq_code.lexers import canonical, error_tokens, language_of, make_lexer

_PYTHON = "python"


def validate(sample: Any, language: str | None = None) -> str | None:
    """None when `sample` is well-formed code in its language, else the reason (with line and column)."""
    if not isinstance(sample, str):
        return f"source code must be a string, got {type(sample).__name__}"
    alias = canonical(language_of(sample, language) or _PYTHON)
    if alias == _PYTHON:
        return _python_error(sample)
    errors = error_tokens(sample, make_lexer(alias))
    if not errors:
        return None
    line, col, value = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{make_lexer(alias).name} lexer: unexpected {value[:20]!r} at line {line}, column {col}{more}"


def _python_error(text: str) -> str | None:
    with warnings.catch_warnings():  # invalid escape sequences and the like warn; they are still valid code
        warnings.simplefilter("ignore")
        try:
            ast.parse(text.removeprefix("\ufeff"))
        except SyntaxError as e:
            where = f" (line {e.lineno}, column {e.offset})" if e.lineno is not None else ""
            return f"Python SyntaxError: {e.msg}{where}"
        except (ValueError, RecursionError, MemoryError) as e:
            return f"Python cannot parse it: {type(e).__name__}: {e}"
    return None


def code_metrics(samples: Sequence[Any], reference: Sequence[Any] | None = None, language: str | None = None) -> dict[str, float]:
    """Metrics on generated code: `parse_rate` (valid fraction, see `validate`), `unique` (distinct
    fraction), and with `reference` (e.g. the training set) `novel` (fraction of valid samples not in it)."""
    samples = list(samples)
    if not samples:
        return {"n": 0.0, "parse_rate": 0.0, "unique": 0.0}
    valid = [s for s in samples if validate(s, language) is None]
    out = {
        "n": float(len(samples)),
        "parse_rate": len(valid) / len(samples),
        "unique": len(set(map(str, samples))) / len(samples),
    }
    if reference is not None:
        seen = set(map(str, reference))
        out["novel"] = sum(str(s) not in seen for s in valid) / len(valid) if valid else 0.0
    return out
