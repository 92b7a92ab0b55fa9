"""DNA augmentations, splits and metrics on generated sequences."""

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import polyseq
from polyseq import ConfigError, Record
from polyseq.domain import resolve
from polyseq_dna.alphabet import reverse_complement, validate
from polyseq_dna.augment import random_crop, random_shift
from polyseq_dna.augment import reverse_complement as rc_aug
from polyseq_dna.metrics import kmer_spectrum, metrics
from polyseq_dna.splits import by_record

IUPAC = st.text(alphabet="ACGTUNRYSWKMBDHVacgtunryswkmbdhv", max_size=100)


@pytest.fixture
def dna():
    return polyseq.get_domain("dna")


# ---- augmentations ---------------------------------------------------------------------------------


def test_reverse_complement_is_iupac_aware_and_keeps_case():
    assert reverse_complement("AACGTRYKMBDHVSWN") == "NWSBDHVKMRYACGTT"
    assert reverse_complement("acgTn") == "nAcgt"
    assert reverse_complement("ACGU") == "ACGT"  # U pairs with A; A complements to T


@given(IUPAC.filter(lambda s: "U" not in s.upper()))
def test_reverse_complement_is_an_involution(seq):
    assert reverse_complement(reverse_complement(seq)) == seq


def test_augmentations_are_registered_with_the_rng_signature(dna):
    rng = random.Random(0)
    for name in ("reverse_complement", "random_crop", "random_shift"):
        out = resolve(dna.augmentations[name], name)("ACGTTGCA", rng)
        assert validate(out) is None


def test_reverse_complement_augmentation_flips_about_half_and_is_seeded():
    outs = [rc_aug("AAAC", random.Random(i)) for i in range(200)]
    assert 60 < outs.count("GTTT") < 140 and set(outs) == {"AAAC", "GTTT"}
    assert [rc_aug("AAAC", random.Random(7)) for _ in range(3)] == [rc_aug("AAAC", random.Random(7))] * 3
    assert rc_aug("AAAC", random.Random(0), p=1.0) == "GTTT"
    with pytest.raises(ConfigError, match="p must be in"):
        rc_aug("A", random.Random(0), p=2)


@given(st.text(alphabet="ACGT", min_size=1, max_size=80), st.integers(0, 1000))
def test_random_crop_is_a_contiguous_piece_of_at_least_the_fraction(seq, seed):
    out = random_crop(seq, random.Random(seed), min_fraction=0.5)
    assert out in seq and len(out) >= math.ceil(0.5 * len(seq))


@given(st.text(alphabet="ACGT", max_size=80), st.integers(0, 1000))
def test_random_shift_keeps_length_and_pads_with_n(seq, seed):
    out = random_shift(seq, random.Random(seed), max_shift=3)
    assert len(out) == len(seq)
    core = out.strip("N")
    assert core in seq


# ---- splits ------------------------------------------------------------------------------------------


def windows(n_chrom, per_chrom):
    return [Record("ACGT", meta={"source": "g.fa", "line": c * 100 + 1, "id": f"chr{c}", "start": 4 * w})
            for c in range(n_chrom) for w in range(per_chrom)]


def test_by_record_split_never_puts_windows_of_one_sequence_in_two_parts():
    recs = windows(10, 7)
    parts = by_record(recs, [0.6, 0.2, 0.2], seed=3)
    assert sorted(sum(parts, [])) == list(range(70))
    owners = [{recs[i].meta["id"] for i in p} for p in parts]
    assert all(not (a & b) for i, a in enumerate(owners) for b in owners[i + 1 :])
    assert [len(o) for o in owners] == [6, 2, 2]


def test_by_record_split_warns_when_a_part_cannot_be_filled():
    with pytest.warns(UserWarning, match="got no record"):
        parts = by_record(windows(1, 10), [0.8, 0.2], seed=0)
    assert sorted(map(len, parts)) == [0, 10]


def test_fractions_are_checked():
    with pytest.raises(ConfigError, match="fractions must be >= 0 and sum to 1, got"):
        by_record(windows(2, 2), [0.5, 0.6], 0)


# ---- metrics -----------------------------------------------------------------------------------------


def test_metrics_on_generated_sequences(dna):
    compute = dna.part("metrics")
    out = compute(["GGCC", "ATAT", "ACXT", ""], reference=["GGCCATAT"])
    assert out["valid_fraction"] == 0.5 and out["gc_content"] == 0.5 and out["reference_gc_content"] == 0.5
    assert 0 < out["kmer_spectrum_distance"] <= 1


def test_kmer_spectrum_distance_is_zero_for_the_same_composition_and_grows_with_difference():
    rng = random.Random(0)
    ref = ["".join(rng.choices("ACGT", k=5000)) for _ in range(4)]
    same = metrics(["".join(rng.choices("ACGT", k=5000)) for _ in range(4)], reference=ref)
    biased = metrics(["".join(rng.choices("ACGT", weights=[4, 1, 1, 4], k=5000)) for _ in range(4)], reference=ref)
    assert metrics(ref, reference=ref)["kmer_spectrum_distance"] == 0
    assert same["kmer_spectrum_distance"] < 0.1 < biased["kmer_spectrum_distance"]
    assert biased["gc_content"] < 0.3


def test_kmer_spectrum_ignores_kmers_with_n_and_folds_case():
    assert kmer_spectrum(["ACGNacg"], k=3).sum() == 2
    empty = metrics([])
    assert set(empty) == {"valid_fraction", "gc_content"} and all(math.isnan(v) for v in empty.values())
