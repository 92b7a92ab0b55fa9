"""The IUPAC nucleotide alphabet: which letters are DNA, how they complement, how they are counted.

One table shared by the readers (validation, counts of ambiguous letters), the tokenizers (case
folding, ambiguity codes to N), the augmentations (reverse complement) and the metrics. Pure
Python and bytes tables: importing it costs nothing.

Letters (Cornish-Bowden 1985, the NC-IUB codes): A C G T, U (uracil, RNA), N (any base), and the
ambiguity codes R Y S W K M (two bases) and B D H V (three bases). Either case is valid: lower case
is soft-masking (repeats), which the readers keep and the tokenizers fold or keep by option.
"""

from __future__ import annotations

BASES = "ACGT"
AMBIGUITY = "RYSWKMBDHV"  # codes for 2 or 3 bases; N (any base) is listed on its own
IUPAC = BASES + "UN" + AMBIGUITY
IUPAC_BOTH_CASES = IUPAC + IUPAC.lower()

_VALID_BYTES = IUPAC_BOTH_CASES.encode("ascii")
_ACGT_BYTES = (BASES + BASES.lower()).encode("ascii")
_ACGTN_BYTES = (BASES + "N" + BASES.lower() + "n").encode("ascii")

# Complement of each IUPAC code: a code for a set of bases maps to the code of the complementary set
# (R=A/G <-> Y=C/T, K=G/T <-> M=A/C, B=not A <-> V=not T, D=not C <-> H=not G; S, W, N are their own).
# U complements to A (an RNA base paired in DNA); A complements to T.
_COMPLEMENT_PAIRS = "AT TA CG GC UA RY YR SS WW KM MK BV VB DH HD NN"
COMPLEMENT = str.maketrans(
    {a: b for a, b in _COMPLEMENT_PAIRS.split()} | {a.lower(): b.lower() for a, b in _COMPLEMENT_PAIRS.split()}
)

# Upper-case the IUPAC letters only (str.upper would also change letters of other scripts, and
# some of them to two characters: "ß".upper() == "SS").
FOLD_CASE = str.maketrans(IUPAC.lower(), IUPAC)


def first_invalid(seq: str) -> tuple[int, str] | None:
    """(position, letter) of the first character that is not an IUPAC nucleotide code, or None."""
    try:
        rest = seq.encode("ascii").translate(None, _VALID_BYTES)
    except UnicodeEncodeError:
        pos = next(i for i, c in enumerate(seq) if c not in IUPAC_BOTH_CASES)
        return pos, seq[pos]
    if not rest:
        return None
    letter = chr(rest[0])
    return seq.index(letter), letter


def validate(sample: object) -> str | None:
    """The domain's validator: None for a non-empty string of IUPAC letters, else the reason."""
    if not isinstance(sample, str):
        return f"a DNA sample is a string, got {type(sample).__name__}"
    if not sample:
        return "empty sequence"
    bad = first_invalid(sample)
    if bad is not None:
        pos, letter = bad
        return f"letter {letter!r} at position {pos + 1} is not an IUPAC nucleotide code"
    return None


def count_letters(seq: str) -> tuple[int, int]:
    """(ambiguous, non_acgtn): letters other than ACGT (N included), and other than ACGTN.

    Meant for valid (IUPAC) sequences; case-insensitive.
    """
    data = seq.encode("ascii", errors="replace")
    return len(data.translate(None, _ACGT_BYTES)), len(data.translate(None, _ACGTN_BYTES))


def reverse_complement(seq: str) -> str:
    """The reverse complement, IUPAC-aware and case-preserving (other characters are kept as is)."""
    return seq.translate(COMPLEMENT)[::-1]


def gc_counts(seq: str) -> tuple[int, int]:
    """(G+C, A+C+G+T) counts, case-insensitive; other letters count in neither."""
    up = seq.translate(FOLD_CASE)
    gc = up.count("G") + up.count("C")
    return gc, gc + up.count("A") + up.count("T")
