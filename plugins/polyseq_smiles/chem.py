"""RDKit access shared by the readers, tokenizers, augmentations, splits and metrics.

RDKit reports parse failures on stderr through its own logger. Here every parse runs with that
logger blocked (`rdBase.BlockLogs`, the scoped form of `RDLogger.DisableLog`) and its error
messages captured (`rdBase.CaptureErrorLog`, where the installed RDKit has it), so the reason
reaches the user through a `BadRecord` or an exception instead of scrolling past on stderr.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from typing import Any

from rdkit import Chem, rdBase

from polyseq import ConfigError, PolyseqError

_TIMESTAMP = re.compile(r"^\[\d\d:\d\d:\d\d\] ?")
_PREFIX = "SMILES Parse Error: "


@contextlib.contextmanager
def quiet_rdkit() -> Iterator[None]:
    """RDKit's log silenced for the duration (restored afterwards)."""
    with rdBase.BlockLogs():
        yield


def clean_log(raw: str, text: str) -> str:
    """RDKit's log lines as one short reason: no timestamps, no echo of the input, no repeats."""
    kept: list[str] = []
    for line in raw.splitlines():
        line = _TIMESTAMP.sub("", line).strip()
        if line.startswith(_PREFIX):
            line = line[len(_PREFIX):]
        line = line.rstrip(":").strip()
        if not line or line == text.strip() or set(line) <= {"~", "^", " "} or line.startswith("Failed parsing"):
            continue
        if line not in kept:
            kept.append(line)
    return "; ".join(kept)


def parse(smiles: str) -> tuple[Any, str]:
    """`(mol, "")` for a valid SMILES, else `(None, reason)` with RDKit's own message when available."""
    if not isinstance(smiles, str):
        return None, f"a SMILES must be a string, got {type(smiles).__name__}"
    if not smiles.strip():
        return None, "empty SMILES"
    capture = getattr(rdBase, "CaptureErrorLog", None)
    with quiet_rdkit():
        if capture is None:  # an older RDKit: no message to show
            mol, raw = Chem.MolFromSmiles(smiles), ""
        else:
            with capture() as log:
                mol = Chem.MolFromSmiles(smiles)
            raw = log.messages
    if mol is not None:
        return mol, ""
    reason = clean_log(raw, smiles)
    return None, f"RDKit cannot parse {smiles!r}" + (f": {reason}" if reason else "")


def mol_or_none(smiles: str) -> Any:
    """The RDKit molecule, or None when the SMILES is invalid (nothing is logged)."""
    if not isinstance(smiles, str) or not smiles.strip():
        return None
    with quiet_rdkit():
        return Chem.MolFromSmiles(smiles)


def canonical(smiles: str) -> str:
    """RDKit's canonical SMILES (stereo kept); an invalid SMILES is a `PolyseqError` with RDKit's reason."""
    mol, reason = parse(smiles)
    if mol is None:
        raise PolyseqError(f"{reason}. Canonicalisation needs a valid SMILES: fix it or turn canonical off.")
    return Chem.MolToSmiles(mol)


def canonical_or_none(smiles: str) -> str | None:
    mol = mol_or_none(smiles)
    return None if mol is None else Chem.MolToSmiles(mol)


# ---- standardisation ----------------------------------------------------------------------------

#: what the readers' `standardize` option can do, in the order it is done
STANDARDIZE_STEPS = ("largest_fragment", "neutralize", "remove_stereo")


def standardize_steps(value: Any, option: str = "-r standardize") -> tuple[str, ...]:
    """The `standardize` option as steps: true = all of STANDARDIZE_STEPS, false/None/[] = none,
    else a list (or one name) of them; anything else is a ConfigError naming `option`."""
    if value is None or value is False:
        return ()
    if value is True:
        return STANDARDIZE_STEPS
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"{option} must be true, false or a list of {', '.join(STANDARDIZE_STEPS)}; got {value!r}")
    unknown = [n for n in names if n not in STANDARDIZE_STEPS]
    if unknown:
        raise ConfigError(f"{option}: unknown step(s) {', '.join(map(repr, unknown))}; "
                          f"the steps are {', '.join(STANDARDIZE_STEPS)} (true: all of them)")
    return tuple(s for s in STANDARDIZE_STEPS if s in names)


def standardize_mol(mol: Any, steps: tuple[str, ...]) -> Any:
    """`mol` after `steps`: the largest fragment (counter-ions and solvents of a salt dropped;
    organic fragments preferred), charges neutralised where a proton can do it (RDKit's Uncharger:
    a carboxylate becomes the acid; a quaternary or nitro nitrogen stays charged), and every
    stereo mark (tetrahedral and double-bond) removed."""
    chooser, uncharger = _standardizers()
    with quiet_rdkit():
        if "largest_fragment" in steps:
            mol = chooser.choose(mol)
        if "neutralize" in steps:
            mol = uncharger.uncharge(mol)
        if "remove_stereo" in steps:
            mol = Chem.Mol(mol)
            Chem.RemoveStereochemistry(mol)
    return mol


@functools.cache
def _standardizers() -> tuple[Any, Any]:
    """RDKit's fragment chooser and uncharger, made once: a reader standardises every record."""
    from rdkit.Chem.MolStandardize import rdMolStandardize

    return rdMolStandardize.LargestFragmentChooser(preferOrganic=True), rdMolStandardize.Uncharger()


def standardize(smiles: str, steps: tuple[str, ...]) -> str:
    """The canonical SMILES of `smiles` after `standardize_mol`; ValueError with RDKit's reason for
    a SMILES it cannot parse (a reader makes that a bad record)."""
    mol, reason = parse(smiles)
    if mol is None:
        raise ValueError(reason)
    return Chem.MolToSmiles(standardize_mol(mol, steps))
