"""The conformance kit itself: how it reports, declares, generates and varies. The bugs it must catch
are planted in a realistic plugin in test_kit_planted_bugs.py."""

import pytest
from hypothesis import strategies as st

from polyseq import ConfigError, plugins
from polyseq.records import Record
from polyseq.testing import (
    alternative_values,
    boundary_samples,
    build_mixed_file,
    line_problems,
    resolve_strategy,
)

PLUGIN = '''
from hypothesis import strategies as st

from polyseq import Domain, PolyseqError, hookimpl
from polyseq.tokenizers.char import CharTokenizer


class DropsLastChar(CharTokenizer):
    type_name = "kitcheck.drops_last"

    def decode(self, ids):
        return super().decode(ids)[:-1]


class ForgetsOnSave(CharTokenizer):
    type_name = "kitcheck.forgets"

    def to_config(self):
        config = super().to_config()
        return {**config, "chars": config["chars"][:1]}


class Fine(CharTokenizer):
    type_name = "kitcheck.fine"


class RejectsUnknown(CharTokenizer):
    type_name = "kitcheck.rejects"

    def encode(self, sample):
        if set(sample) - set(self.vocab_symbols()):
            raise PolyseqError(f"symbols outside the vocabulary in {sample!r}")
        return super().encode(sample)


class LongInputs(CharTokenizer):
    """Loses the last character of samples of 7 or 8 characters (the examples have 3 and 11)."""

    type_name = "kitcheck.long"

    def decode(self, ids):
        text = super().decode(ids)
        return text[:-1] if len(text) in (7, 8) else text


class NoQ(CharTokenizer):
    """Decodes Q as q: only samples with a Q show it, and the examples have none."""

    type_name = "kitcheck.noq"

    def __init__(self, chars=None, vocab_size=None, min_freq=1):
        super().__init__(chars or "helo wrdabcQ", vocab_size, min_freq)

    def decode(self, ids):
        return super().decode(ids).replace("Q", "q")


TOKENIZERS = {"drops_last": DropsLastChar, "forgets": ForgetsOnSave, "fine": Fine, "rejects": RejectsUnknown,
              "long": LongInputs, "noq": NoQ}
Q_SAMPLES = st.text(alphabet="abcQ", min_size=1, max_size=6)


@hookimpl
def register_domains(register):
    register(Domain(name="kitcheck", description="kit self-test", tokenizers=TOKENIZERS, default_tokenizer="fine",
                    readers={}, examples=("hello world", "abc")))
    register(Domain(name="kitcheck_q", description="kit self-test, samples from a strategy", tokenizers=TOKENIZERS,
                    default_tokenizer="fine", readers={}, examples=("hello world", "abc"),
                    sample_strategy="kitcheck_plugin:Q_SAMPLES"))
'''

CONFTEST = '''
from polyseq import plugins

import kitcheck_plugin

pytest_plugins = ["polyseq.testing"]


def pytest_configure(config):
    plugins.register(kitcheck_plugin, name="kitcheck")  # before collection: the kit parametrises from the domain


def pytest_unconfigure(config):
    plugins.unregister("kitcheck")
    plugins.registry()  # rebuilt now: the cache is keyed by the plugins' id(), which the next run's module may reuse
'''

TEST = '''
from polyseq.testing import DomainChecks


class TestKitcheck(DomainChecks):
    domain = "DOMAIN"
    known_limitations = KNOWN
    rejects_unknown = REJECTS
'''


@pytest.fixture
def run_kit(pytester, monkeypatch):
    """Run the kit over the kitcheck domain in process with the given class attributes and pytest options."""
    plugins.registry()  # every plugin loaded outside the run (pytester forgets the modules a run imports)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # the entry-point scan costs a second a run

    def run(*args, known=None, rejects=None, domain="kitcheck"):
        pytester.makepyfile(kitcheck_plugin=PLUGIN)
        pytester.makeconftest(CONFTEST)
        test = TEST.replace("DOMAIN", domain).replace("KNOWN", repr(known or {}))
        test = test.replace("REJECTS", repr(rejects or {}))
        pytester.makepyfile(test_kit=test)
        pytester.syspathinsert()
        return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-rfxX", *args)

    return run


def test_kit_fails_broken_tokenizers_and_says_what_broke(run_kit):
    result = run_kit("-k", "(test_round_trip or test_save_load) and not options and (drops_last or forgets or fine)")
    result.assert_outcomes(passed=4, failed=2)
    out = result.stdout.str()
    assert "FAILED test_kit.py::TestKitcheck::test_round_trip[drops_last]" in out
    assert "kitcheck.drops_last: round trip changed sample #0:" in out
    assert "expected 'hello world'" in out and "decoded  'hello worl'" in out
    assert "FAILED test_kit.py::TestKitcheck::test_save_load[forgets]" in out
    assert "kitcheck.forgets: vocab_size changed by save/load" in out


def test_known_limitation_becomes_strict_xfail_with_its_reason(run_kit):
    result = run_kit("-k", "test_round_trip and (drops_last or fine)",
                     known={"test_round_trip[drops_last]": "drops the last character (documented)"})
    result.assert_outcomes(passed=1, xfailed=1)
    assert "drops the last character (documented)" in result.stdout.str()


def test_a_known_limitation_that_is_gone_fails_the_run(run_kit):
    result = run_kit("-k", "test_round_trip and fine", known={"test_round_trip[fine]": "no longer true"})
    result.assert_outcomes(failed=1)
    assert "[XPASS(strict)] no longer true" in result.stdout.str()


def test_a_tokenizer_raising_on_unknown_symbols_fails_unless_declared(run_kit):
    result = run_kit("-k", "test_unknown_symbols and (rejects or fine)")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "kitcheck.rejects: encode raised PolyseqError on unknown symbols" in out
    assert "rejects_unknown = {'rejects': 'why'}" in out

    reason = {"rejects": "raises a PolyseqError by design", "fine": "it does not"}
    result = run_kit("-k", "test_unknown_symbols and (rejects or fine)", rejects=reason)
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "rejects_unknown says 'fine' raises on unknown symbols (it does not), but encode accepted" in out


def test_generated_inputs_find_a_bug_the_examples_miss_and_report_the_smallest_sample(run_kit):
    result = run_kit("-k", "test_round_trip and long")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "kitcheck.long: round trip changed generated sample 'hhhhhhh':" in out  # shrunk: 7 x the first character
    assert "Failing test case: generated(" in out
    assert run_kit("-k", "test_round_trip and long").stdout.str().count("'hhhhhhh'") == out.count("'hhhhhhh'")


def test_a_domain_sample_strategy_is_drawn_from(run_kit):
    assert run_kit("-k", "test_round_trip and noq").ret == 0  # the examples and their characters hold no Q
    result = run_kit("-k", "test_round_trip and noq", domain="kitcheck_q")
    result.assert_outcomes(failed=1)
    assert "expected 'Q'" in result.stdout.str() and "decoded  'q'" in result.stdout.str()


def test_a_verbose_run_says_which_options_were_not_exercised(run_kit):
    result = run_kit("-v", "-k", "test_save_load_options and fine")
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    assert "polyseq conformance kit: not exercised" in out
    assert "kitcheck.fine: options not exercised: chars (tried: no scalar value to try)" in out
    assert "not exercised" not in run_kit("-k", "test_save_load_options and fine").stdout.str()


# ---- the parts, directly -------------------------------------------------------------------------


def test_alternative_values_per_type():
    never = lambda value: None  # noqa: E731  (a tokenizer accepting any string)
    assert alternative_values(True, "bool", never) == [False]
    assert alternative_values(3, "int", never) == [4, 2, 6]
    assert alternative_values(None, "int | None", never) == [64, 100, 300, 1000]
    assert alternative_values(None, "Iterable[str] | None", never) == []
    assert alternative_values("fold", "str", never) == ["polyseq-kit-probe"]
    choices = lambda value: ConfigError(f"soft_mask must be 'fold' or 'keep', got {value!r}")  # noqa: E731
    assert alternative_values("fold", "str", choices) == ["keep"]
    listed = lambda value: ConfigError(f"no language {value!r}. Available: c, go, python. Did you mean 'go'?")  # noqa

    assert alternative_values("python", "str", listed) == ["go", "c"]


def test_sample_strategy_may_be_a_strategy_a_callable_or_a_reference():
    strategy = st.just("ACGU")
    assert resolve_strategy(strategy) is strategy
    assert resolve_strategy(lambda: strategy) is strategy
    assert resolve_strategy("hypothesis.strategies:text").example() is not None


def test_boundary_samples_cover_every_length_to_k_plus_one_and_lower_case():
    samples = boundary_samples(["A", "C", "G"], 3, case_sensitive=False)
    assert [len(s) for s in samples[:7]] == [0, 1, 2, 3, 4, 6, 7]
    assert samples[3] == "ACG" and "acg" in samples


def test_a_mixed_file_puts_garbage_between_copies_of_the_records(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("sequence,label\nACGU,a\nGGCC,b\n")
    records = [Record("ACGU", "a", {"line": 2}), Record("GGCC", "b", {"line": 3})]
    mixed = build_mixed_file(path, records, tmp_path / "mixed.csv")
    lines = mixed.path.read_bytes().splitlines()
    assert lines[0] == b"sequence,label" and lines[1:3] == lines[4:6] == lines[7:9] == [b"ACGU,a", b"GGCC,b"]
    assert b"malformed" in lines[3] and b"\xff" in lines[6]
    assert list(mixed.bad_lines) == [(3, 5), (6, 8)] and list(mixed.good) == ["ACGU", "GGCC"] * 3
    assert build_mixed_file(path, records[:1], tmp_path / "one.csv") is None  # one record: nothing to mix


def test_line_problems_find_a_record_whose_line_is_off_by_one(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("sequence,label\nACGUACGU,a\nGGCCGGCC,b\n")
    right = [Record("ACGUACGU", "a", {"line": 2}), Record("GGCCGGCC", "b", {"line": 3})]
    assert line_problems(path, right) == []
    wrong = [Record("ACGUACGU", "a", {"line": 1}), Record("GGCCGGCC", "b", {"line": 2})]
    assert line_problems(path, wrong)[0].startswith("record #0 names line 1, but its sample 'ACGUACGU' is at line 2")
