"""The plugin manager: discovery, explicit registration, failure isolation, provenance."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import polyseq
from polyseq import ConfigError, Domain, PluginError, UnknownNameError, hookimpl
from polyseq import hookspecs
from polyseq import plugins as plugin_manager
from polyseq.cli import main as cli_main
from polyseq.tasks import Task
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


# ---- tasks in `polyseq plugins` -------------------------------------------------------------------


class SpanTask(Task):
    """A task made in a test: only what `polyseq plugins` reads."""

    name = "span_test"
    needs_target = True
    record_target = "start and end of a span"
    generates = "input"


class TaskPlugin:
    @hookimpl
    def register_tasks(self, register):
        register("span_test", SpanTask, description="a task made in a test")
        register("broken_test", "a_module_that_does_not_exist:Task", description="cannot be imported")


def test_plugins_lists_tasks_with_origin_record_and_generation(registered, capsys):
    registered(TaskPlugin(), "task-plugin")
    assert cli_main(["plugins", "--json"]) == 0
    tasks = {t["name"]: t for t in json.loads(capsys.readouterr().out)["tasks"]}
    assert tasks["span_test"] == {
        "name": "span_test", "description": "a task made in a test", "plugin": "task-plugin",
        "distribution": "(registered explicitly)", "record_target": "start and end of a span",
        "needs_target": True, "generates": "input", "error": None}
    assert tasks["lm"]["plugin"] == "polyseq.core" and tasks["lm"]["distribution"].startswith("polyseq ")
    assert tasks["lm"]["generates"] == "prompt" and tasks["classify"]["generates"] is None
    assert tasks["classify"]["record_target"] == "a class label" and tasks["classify"]["needs_target"] is True
    broken = tasks["broken_test"]  # listed with the reason; the other tasks are unaffected
    assert broken["record_target"] is None and "a_module_that_does_not_exist" in broken["error"]

    assert cli_main(["plugins"]) == 0
    text = capsys.readouterr().out
    tasks_section = text.split("Tasks (--data.task)\n")[1]
    assert "span_test  a task made in a test  [(registered explicitly), plugin task-plugin]" in tasks_section
    assert "record: start and end of a span; generates: yes, one output per input record" in tasks_section
    assert "record: nothing (the sample itself); generates: yes, continues a prompt" in tasks_section
    assert "record: a class label; generates: no" in tasks_section
    assert "broken_test" in tasks_section and "cannot be loaded: PluginError" in tasks_section


def test_strict_plugins_makes_an_unloadable_task_an_error(registered, monkeypatch, capsys):
    registered(TaskPlugin(), "task-plugin")
    monkeypatch.setenv("POLYSEQ_STRICT_PLUGINS", "1")
    assert cli_main(["plugins"]) == 2
    assert "a_module_that_does_not_exist" in capsys.readouterr().err


def test_trace_plugins_prints_every_registration_hook_call(tmp_path):
    env = dict(os.environ, POLYSEQ_LOAD_PLUGINS="text", POLYSEQ_TRACE_PLUGINS="1")
    traced = _polyseq("plugins", env=env)
    assert traced.returncode == 0, traced.stderr
    calls = [line.split()[0] for line in traced.stderr.splitlines() if line.endswith("[hook]") and "finish" not in line]
    # the core implements tokenizers, backbones, tasks and baselines; the text plugin domains, datasets and baselines
    assert sorted(set(calls)) == sorted(hookspecs.all_hook_names()), traced.stderr
    assert "Tasks (--data.task)" in traced.stdout  # the listing itself is unchanged
    env.pop("POLYSEQ_TRACE_PLUGINS")
    assert "[hook]" not in _polyseq("plugins", env=env).stderr


def test_listing_the_tasks_imports_no_torch():
    """`polyseq plugins` shows every task's record needs; that must not cost torch's import (seconds)."""
    import subprocess
    import sys

    code = ("import contextlib, io, sys\nfrom polyseq.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n    assert main(['plugins']) == 0\n"
            "assert 'seq2seq' in out.getvalue() and 'tag' in out.getvalue()\n"
            "print('torch' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "False"


def test_a_plugin_registered_after_another_was_freed_is_seen_even_if_it_reuses_its_id():
    import gc
    import types

    from polyseq import Domain, hookimpl, plugins

    def make(name):
        module = types.ModuleType(f"reuse_{name}")

        @hookimpl
        def register_domains(register):
            register(Domain(name=name, description=name, tokenizers={"bytes": "polyseq.tokenizers.bytes:ByteTokenizer"},
                            default_tokenizer="bytes", readers={}))

        module.register_domains = register_domains
        return module

    for i in range(20):  # CPython often hands a freed module's address to the next one
        first = make(f"first{i}")
        plugins.register(first, "reuse_probe")
        assert f"first{i}" in plugins.registry().domains
        plugins.unregister("reuse_probe")
        del first
        gc.collect()
        second = make(f"second{i}")
        plugins.register(second, "reuse_probe")
        try:
            assert f"second{i}" in plugins.registry().domains and f"first{i}" not in plugins.registry().domains
        finally:
            plugins.unregister("reuse_probe")
