"""The plugin manager: discovery, explicit registration, failure isolation, provenance."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import polyseq
from polyseq import ConfigError, Domain, PluginError, UnknownNameError, hookimpl
from polyseq import plugins as plugin_manager
from polyseq.tokenizers.char import CharTokenizer


class FakeTokenizer(CharTokenizer):
    type_name = "fake.letters"


class FakeDomainPlugin:
    """A plugin object providing one small domain, as a test registers it."""

    def __init__(self, name="fake"):
        self.name = name

    @hookimpl
    def register_domains(self, register):
        register(Domain(name=self.name, description="a domain made in a test",
                        tokenizers={"letters": FakeTokenizer}, default_tokenizer="letters",
                        readers={".txt": "tests_unused:reader"}, examples=("abc",)))


class RaisingPlugin:
    @hookimpl
    def register_domains(self, register):
        raise RuntimeError("this plugin is broken on purpose")


@pytest.fixture
def registered():
    """Register plugin objects for one test and always unregister them."""
    names = []

    def add(plugin, name):
        names.append(plugin_manager.register(plugin, name=name))
        return plugin

    yield add
    for name in names:
        plugin_manager.unregister(name)


def test_explicitly_registered_domain_is_found_and_forgotten_on_unregister(registered):
    registered(FakeDomainPlugin(), "fake-plugin")
    assert "fake" in polyseq.domains()
    assert polyseq.plugins.registry().domain_origins["fake"].plugin == "fake-plugin"
    plugin_manager.unregister("fake-plugin")
    assert "fake" not in polyseq.domains()
    registered(FakeDomainPlugin(), "fake-plugin")  # so teardown finds it


def test_plugin_raising_in_hook_is_reported_and_others_keep_working(registered):
    registered(RaisingPlugin(), "raiser")
    registered(FakeDomainPlugin(), "fine")
    with pytest.warns(RuntimeWarning, match="raiser"):
        reg = polyseq.plugins.registry()
    failure = next(f for f in reg.failures if f.plugin == "raiser")
    assert failure.stage == "register_domains" and "broken on purpose" in str(failure)
    assert "fake" in reg.domains and "protein" in reg.domains


def test_strict_mode_makes_a_failing_plugin_fatal(registered, monkeypatch):
    registered(RaisingPlugin(), "raiser")
    monkeypatch.setenv("POLYSEQ_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match="raiser.*broken on purpose"):
        plugin_manager.build_registry(plugin_manager.get_manager())


def test_duplicate_domain_is_a_failure_of_the_later_plugin(registered):
    registered(FakeDomainPlugin(), "first")
    registered(FakeDomainPlugin(), "second")
    reg = polyseq.plugins.registry()
    assert reg.domain_origins["fake"].plugin == "first"
    [dup] = [f for f in reg.failures if f.plugin == "second"]
    assert "already registered by" in str(dup.error)


def test_misspelled_hook_fails_validation_loudly():
    class Misspelled:
        @hookimpl
        def register_domain(self, register):  # singular: not a hook
            pass

    with pytest.raises(PluginError, match="register_domain"):
        plugin_manager.register(Misspelled(), name="misspelled")
    assert not plugin_manager.get_manager().has_plugin("misspelled")


def test_unknown_domain_lists_known_ones_and_suggests():
    with pytest.raises(UnknownNameError) as info:
        polyseq.get_domain("protien")
    assert "protein" in str(info.value) and "Did you mean 'protein'?" in str(info.value)


def test_unknown_tokenizer_and_bad_option_are_clear():
    protein = polyseq.get_domain("protein")
    with pytest.raises(UnknownNameError, match="no tokenizer 'residu' for domain 'protein'.*Did you mean 'residue'"):
        protein.make_tokenizer("residu")
    with pytest.raises(ConfigError, match=r"unknown option\(s\) extnded. Accepted: extended"):
        protein.make_tokenizer(extnded=False)


def test_cross_domain_tokenizers_are_available_in_every_domain():
    protein = polyseq.get_domain("protein")
    assert protein.tokenizer_names()[:1] == ["residue"]
    assert {"bytes", "char"} <= set(protein.tokenizer_names())
    assert protein.make_tokenizer("bytes").encode("M") == [ord("M") + 7]


def _fake_distribution(root: Path, module_source: str) -> dict:
    """A distribution on sys.path with a `polyseq` entry point, as pip would install one."""
    dist = root / "brokenplug-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: brokenplug\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[polyseq]\nbroken = broken_polyseq_plugin\n")
    (root / "broken_polyseq_plugin.py").write_text(textwrap.dedent(module_source))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    env.pop("POLYSEQ_STRICT_PLUGINS", None)
    return env


def _polyseq(*args, env):
    return subprocess.run([sys.executable, "-m", "polyseq", *args], capture_output=True, text=True, env=env)


def test_entry_point_raising_importerror_is_listed_and_other_commands_work(tmp_path):
    env = _fake_distribution(tmp_path, "import a_module_that_does_not_exist\n")
    listing = _polyseq("plugins", env=env)
    assert listing.returncode == 0, listing.stderr
    assert "Failed plugins" in listing.stdout
    assert "broken" in listing.stdout and "brokenplug" in listing.stdout
    assert "ModuleNotFoundError: No module named 'a_module_that_does_not_exist'" in listing.stdout
    assert "protein" in listing.stdout  # the others still load
    tokenized = _polyseq("tokenize", "--domain", "protein", "MKTAY", "--check", env=env)
    assert tokenized.returncode == 0, tokenized.stderr
    strict = _polyseq("--strict-plugins", "plugins", env=env)
    assert strict.returncode == 2 and "broken" in strict.stderr and "Traceback" not in strict.stderr


def test_load_plugins_switch_selects_entry_points(tmp_path):
    env = dict(os.environ, POLYSEQ_LOAD_PLUGINS="protein")
    out = _polyseq("plugins", "--json", env=env)
    import json

    info = json.loads(out.stdout)
    assert [p["name"] for p in info["plugins"]] == ["polyseq.core", "protein"]
    env["POLYSEQ_LOAD_PLUGINS"] = ""
    info = json.loads(_polyseq("plugins", "--json", env=env).stdout)
    assert [p["name"] for p in info["plugins"]] == ["polyseq.core"] and info["domains"] == []
