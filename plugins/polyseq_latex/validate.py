"""Is a formula valid LaTeX math? Structural checks, then matplotlib's mathtext when it is installed.

`validate(formula)` returns None for a valid formula, else the first problem found. The structural
checks need nothing but the lexer: balanced braces, `\\left`/`\\right` pairs with delimiters,
`\\begin`/`\\end` pairs with known math environments, known commands, scripts with an argument.
When matplotlib is importable, mathtext's parser is the stricter check (double scripts, missing
`\\frac` arguments...) for the subset it supports: formulas with environments or `\\\\` are left to
the structural checks, and a command mathtext lacks but LaTeX knows is not held against the
formula. matplotlib is an optional extra: without it the structural checks decide alone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from polyseq_latex.commands import ARITY, DELIMITER_TOKENS, KNOWN_COMMANDS, MATH_ENVIRONMENTS
from polyseq_latex.tokenizers import lex, normal_form

_SCRIPT_ENDERS = frozenset(["}", "^", "_", "&", "\\\\", "\\end", "\\right"])
_UNKNOWN_SYMBOL = re.compile(r"Unknown symbol: (\\[A-Za-z]+)")
#: mathtext wants braced arguments and em units where TeX takes `\\frac12` and `\\hspace{1cm}`;
#: arguments are checked by `structure_problem` instead
_NARROWER_GRAMMAR = re.compile(r"Expected (\\[A-Za-z]+|a delimiter|'\\\\right')")
_BEYOND_MATHTEXT = frozenset(["\\\\", "\\begin", "\\end", "&"])


def validate(formula: Any, renderer: bool | None = None) -> str | None:
    """None when `formula` is valid, else why not. `renderer`: None uses mathtext when importable,
    False never, True requires matplotlib (an ImportError says how to install it)."""
    if not isinstance(formula, str):
        return f"a formula is a string, got {type(formula).__name__}"
    tokens = lex(formula)
    if not tokens:
        return "empty formula"
    problem = structure_problem(tokens)
    if problem is not None or renderer is False:
        return problem
    parser = _mathtext_parser(required=bool(renderer))
    if parser is None or _BEYOND_MATHTEXT.intersection(tokens):
        return None
    return _mathtext_problem(parser, normal_form(formula))


def structure_problem(tokens: Sequence[str]) -> str | None:
    """The first structural problem of a token list, or None."""
    stack: list[tuple[str, str]] = []  # (kind, detail): ("{", ""), ("\\left", delim), ("\\begin", env)
    i, n = 0, len(tokens)
    while i < n:
        t = tokens[i]
        if t == "{":
            stack.append(("{", ""))
        elif t == "}":
            if not stack or stack[-1][0] != "{":
                return f"'}}' at token {i + 1} closes nothing" if not stack else _unclosed(stack[-1], "'}'")
            stack.pop()
        elif t in ("\\left", "\\right", "\\middle"):
            delim = tokens[i + 1] if i + 1 < n else None
            if delim not in DELIMITER_TOKENS:
                return f"{t} at token {i + 1} must be followed by a delimiter, got {delim or 'nothing'}"
            if t == "\\left":
                stack.append(("\\left", delim))
            elif not stack or stack[-1][0] != "\\left":
                what = f"{t}{delim}"
                return f"{what} at token {i + 1} has no matching \\left" if not stack else _unclosed(stack[-1], what)
            elif t == "\\right":
                stack.pop()
            i += 1
        elif t in ("\\begin", "\\end"):
            name, i = _environment_name(tokens, i)
            if name is None:
                return f"{t} at token {i + 1} needs an environment name in braces"
            if t == "\\begin":
                if name not in MATH_ENVIRONMENTS:
                    return f"unknown environment {{{name}}}"
                stack.append(("\\begin", name))
            elif not stack or stack[-1] != ("\\begin", name):
                return f"\\end{{{name}}} has no matching \\begin{{{name}}}" if not stack else \
                    _unclosed(stack[-1], f"\\end{{{name}}}")
            else:
                stack.pop()
        elif t in ("^", "_"):
            problem = _script_problem(tokens, i)
            if problem:
                return problem
        elif t == "\\":
            return "a lone backslash ends the formula"
        elif len(t) > 1 and t[0] == "\\" and t[1].isalpha():
            if t not in KNOWN_COMMANDS:
                return f"unknown command {t}"
            j = i + 1
            if t == "\\sqrt" and j < n and tokens[j] == "[":
                j = tokens.index("]", j) + 1 if "]" in tokens[j:] else n
            for k in range(ARITY.get(t, 0)):
                end = _argument_end(tokens, j)
                if end is None:
                    return f"{t} at token {i + 1} needs {ARITY[t]} argument(s), found {k}"
                j = end
        i += 1
    if stack:
        return _unclosed(stack[-1], "the end of the formula")
    return None


def _script_problem(tokens: Sequence[str], i: int) -> str | None:
    """Scripts from tokens[i] on attach to one nucleus: each needs an argument, and TeX allows one
    superscript and one subscript (`x^a^b` is a "Double superscript" error)."""
    seen: set[str] = set()
    j = i
    while j < len(tokens) and tokens[j] in ("^", "_"):
        end = _argument_end(tokens, j + 1)
        if end is None:
            return f"{tokens[j]} at token {j + 1} has no argument"
        if tokens[j] in seen:
            return f"double {'superscript' if tokens[j] == '^' else 'subscript'} at token {j + 1}"
        seen.add(tokens[j])
        j = end
    return None


def _argument_end(tokens: Sequence[str], j: int) -> int | None:
    """Index after the argument starting at `j` (a braced group or one token), None if there is none."""
    if j >= len(tokens) or tokens[j] in _SCRIPT_ENDERS:
        return None
    if tokens[j] != "{":
        return j + 1
    depth = 0
    for k in range(j, len(tokens)):
        depth += (tokens[k] == "{") - (tokens[k] == "}")
        if depth == 0:
            return k + 1
    return len(tokens)  # unclosed: the brace check reports it


def _unclosed(opened: tuple[str, str], reached: str) -> str:
    kind, detail = opened
    what = {"{": "'{'", "\\left": f"\\left{detail}", "\\begin": f"\\begin{{{detail}}}"}[kind]
    return f"{what} is not closed before {reached}"


def _environment_name(tokens: Sequence[str], i: int) -> tuple[str | None, int]:
    """The name in `{...}` after tokens[i] (`\\begin`/`\\end`), and the index of its closing brace."""
    if i + 1 >= len(tokens) or tokens[i + 1] != "{":
        return None, i
    for j in range(i + 2, min(len(tokens), i + 40)):
        if tokens[j] == "}":
            name = "".join(tokens[i + 2 : j])
            return (name, j) if re.fullmatch(r"[A-Za-z]+\*?", name) else (None, i)
    return None, i


@functools.cache
def _load_mathtext() -> Any:
    try:
        from matplotlib.mathtext import MathTextParser
    except ImportError:
        return None
    return MathTextParser("path")


def _mathtext_parser(required: bool) -> Any:
    try:
        import matplotlib  # noqa: F401 - checked on every call, so a missing extra is noticed
    except ImportError:
        if required:
            raise ImportError("validate(renderer=True) needs matplotlib: pip install matplotlib") from None
        return None
    return _load_mathtext()


def _mathtext_problem(parser: Any, formula: str) -> str | None:
    try:
        parser.parse(f"${formula}$")
    except ValueError as e:
        message = str(e)
        unknown = _UNKNOWN_SYMBOL.search(message)
        if unknown and unknown.group(1) in KNOWN_COMMANDS or _NARROWER_GRAMMAR.search(message):
            return None  # LaTeX accepts it, mathtext does not: no verdict
        last = [line.strip() for line in message.splitlines() if line.strip()]
        return f"matplotlib mathtext rejects it: {last[-1] if last else message}"
    except Exception:  # a renderer bug is not the formula's fault
        return None
    return None


def metrics(samples: Sequence[str], reference: Sequence[str] | None = None) -> dict[str, float]:
    """On generated formulas: valid fraction (with the renderer when available), structural-only
    valid fraction, unique fraction (of normal forms) and, given `reference`, novel fraction."""
    n = len(samples)
    if n == 0:
        return {"n": 0.0, "valid_fraction": 0.0, "structurally_valid_fraction": 0.0, "unique_fraction": 0.0}
    forms = [normal_form(s) if isinstance(s, str) else None for s in samples]
    result = {
        "n": float(n),
        "valid_fraction": sum(validate(s) is None for s in samples) / n,
        "structurally_valid_fraction": sum(validate(s, renderer=False) is None for s in samples) / n,
        "unique_fraction": len({f for f in forms if f is not None}) / n,
    }
    if reference is not None:
        known = {normal_form(r) for r in reference}
        result["novel_fraction"] = sum(f is not None and f not in known for f in forms) / n
    return result
