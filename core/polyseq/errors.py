"""User-facing errors.

Every error a user can cause derives from `PolyseqError`; the CLI prints its message without a
traceback. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class PolyseqError(Exception):
    """An error the user can fix: the message says what was received, what was expected and what to do."""


class PluginError(PolyseqError):
    """A plugin failed to load, or registered something invalid."""


class UnknownNameError(PolyseqError, KeyError):
    """A name (domain, tokenizer, backbone, dataset...) that nothing registered."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class TokenizerFormatError(PolyseqError):
    """A tokenizer file that cannot be loaded: not JSON, wrong format, unknown version or type, tampered."""


class ReaderError(PolyseqError):
    """A data file that cannot be read at all (missing, unreadable, wrong format, missing column)."""


class BadRecordError(PolyseqError):
    """A single bad record, raised instead of counted when reading in strict mode."""


class DatasetError(PolyseqError):
    """A catalog dataset that cannot be fetched: download failed, wrong checksum, offline with no mirror."""


class ConfigError(PolyseqError):
    """One or more invalid configuration values; the message lists every problem found."""

    def __init__(self, problems: str | Iterable[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def unknown_name(kind: str, name: str, known: Iterable[str], where: str = "") -> UnknownNameError:
    """Build the standard 'no X named Y. Available: ... Did you mean ...?' error."""
    known = sorted(known)
    msg = f"no {kind} {name!r}{where}. Available: {', '.join(known) if known else '(none)'}."
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        msg += f" Did you mean {close[0]!r}?"
    return UnknownNameError(msg)
