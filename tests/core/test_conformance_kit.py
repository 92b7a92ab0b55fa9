"""The conformance kit itself: it passes a good domain and fails broken tokenizers with clear messages."""

import pytest

PLUGIN = '''
from polyseq import Domain, hookimpl, plugins
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


class Plugin:
    @hookimpl
    def register_domains(self, register):
        register(Domain(name="kitcheck", description="kit self-test",
                        tokenizers={"drops_last": DropsLastChar, "forgets": ForgetsOnSave, "fine": Fine},
                        default_tokenizer="fine", readers={}, examples=("hello world", "abc")))


def pytest_configure(config):
    plugins.register(Plugin(), name="kitcheck")  # before collection: the kit parametrises from the domain
'''

TEST = '''
from polyseq.testing import DomainChecks

class TestKitcheck(DomainChecks):
    domain = "kitcheck"
    known_limitations = KNOWN
'''


@pytest.fixture
def run_kit(pytester):
    def run(known=None):
        pytester.makeconftest(PLUGIN + "\npytest_plugins = [\"polyseq.testing\"]\n")
        pytester.makepyfile(test_kit=TEST.replace("KNOWN", repr(known or {})))
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rfx", "-k", "round_trip or save_load")

    return run


def test_kit_fails_broken_tokenizers_and_says_what_broke(run_kit):
    result = run_kit()
    result.assert_outcomes(passed=8, failed=2)  # 5 tokenizers (3 own, bytes, char) x 2 checks
    out = result.stdout.str()
    assert "FAILED test_kit.py::TestKitcheck::test_round_trip[drops_last]" in out
    assert "kitcheck.drops_last: round trip changed sample #0" in out
    assert "expected 'hello world'" in out and "decoded  'hello worl'" in out
    assert "FAILED test_kit.py::TestKitcheck::test_save_load[forgets]" in out
    assert "kitcheck.forgets: vocab_size changed by save/load" in out


def test_known_limitation_becomes_strict_xfail_with_its_reason(run_kit):
    result = run_kit({"test_round_trip[drops_last]": "drops the last character (documented)"})
    result.assert_outcomes(passed=8, failed=1, xfailed=1)
    assert "drops the last character (documented)" in result.stdout.str()
