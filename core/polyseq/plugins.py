"""The plugin manager and the registry of what plugins provide.

One pluggy manager per process, created on first use (never at import). It registers the core's
own plugin, then every `polyseq` entry point. A plugin that fails to import, fails validation
or raises inside a hook is recorded as a failure with its name and cause; the others keep
working. Set `POLYSEQ_STRICT_PLUGINS=1` to make any failure fatal.

Switches for debugging:
    POLYSEQ_LOAD_PLUGINS=dna,midi   load only these entry points (empty: none)
    POLYSEQ_TRACE_PLUGINS=1         print every hook call to stderr
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from polyseq import hookspecs
from polyseq.domain import Domain, resolve
from polyseq.errors import PluginError, PolyseqError, unknown_name

GROUP = "polyseq"
CORE_PLUGIN = "polyseq.core"


@dataclass(frozen=True)
class Origin:
    """Who registered something: the plugin's name and the distribution that ships it."""

    plugin: str
    distribution: str = "(registered explicitly)"
    version: str = ""

    def __str__(self) -> str:
        return f"{self.distribution} {self.version}".strip()


@dataclass(frozen=True)
class PluginFailure:
    plugin: str
    origin: Origin
    stage: str  # "import", "validation" or the hook name
    error: BaseException

    def __str__(self) -> str:
        return f"plugin {self.plugin!r} ({self.origin}) failed in {self.stage}: {type(self.error).__name__}: {self.error}"


@dataclass(frozen=True)
class Entry:
    """A registered tokenizer, backbone or dataset (`ref` is the `DatasetEntry` for a dataset)."""

    name: str
    ref: Any
    description: str
    origin: Origin


@dataclass
class Registry:
    """What the loaded plugins registered, and which of them failed."""

    domains: dict[str, Domain] = field(default_factory=dict)
    domain_origins: dict[str, Origin] = field(default_factory=dict)
    tokenizers: dict[str, Entry] = field(default_factory=dict)
    backbones: dict[str, Entry] = field(default_factory=dict)
    tasks: dict[str, Entry] = field(default_factory=dict)
    baselines: dict[str, Entry] = field(default_factory=dict)
    datasets: dict[str, Entry] = field(default_factory=dict)
    plugins: dict[str, Origin] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)
    _task_objects: dict[str, Any] = field(default_factory=dict, repr=False)
    _baseline_classes: dict[str, Any] = field(default_factory=dict, repr=False)

    def get_domain(self, name: str) -> Domain:
        if name not in self.domains:
            err = unknown_name("domain", name, self.domains)
            if self.failures:
                err.args = (err.args[0] + " Some plugins failed to load: `polyseq plugins` says why.",)
            raise err
        return self.domains[name]

    def tokenizer_class(self, type_name: str, where: str = "") -> type:
        """The class for a tokenizer `type` as written in its JSON: `name` or `domain.name`."""
        if type_name in self.tokenizers:
            return resolve(self.tokenizers[type_name].ref, f"tokenizer {type_name!r}")
        domain_name, _, tok = type_name.partition(".")
        if tok and domain_name in self.domains and tok in self.domains[domain_name].tokenizers:
            return self.domains[domain_name].tokenizer_class(tok, registry=self)
        known = list(self.tokenizers) + [f"{d.name}.{t}" for d in self.domains.values() for t in d.tokenizers]
        err = unknown_name("tokenizer type", type_name, known, where=where)
        err.args = (err.args[0] + " Is the plugin that defines it installed? (see `polyseq plugins`)",)
        raise err

    def get_task(self, name: str, where: str = "") -> Any:
        """The task object registered as `name` (built once per registry)."""
        if name not in self.tasks:
            raise unknown_name("task", name, self.tasks, where=where)
        if name not in self._task_objects:
            cls = resolve(self.tasks[name].ref, f"task {name!r}")
            task = cls() if isinstance(cls, type) else cls
            if getattr(task, "name", None) != name:
                raise PluginError(f"task {name!r} ({self.tasks[name].origin}) has name {getattr(task, 'name', None)!r}; "
                                  "its `name` must equal the registered name")
            self._task_objects[name] = task
        return self._task_objects[name]

    def baseline_class(self, name: str, where: str = "") -> Any:
        """The baseline class registered as `name` (imported once per registry)."""
        if name not in self.baselines:
            raise unknown_name("baseline", name, self.baselines, where=where)
        if name not in self._baseline_classes:
            cls = resolve(self.baselines[name].ref, f"baseline {name!r}")
            if getattr(cls, "name", None) != name:
                raise PluginError(f"baseline {name!r} ({self.baselines[name].origin}) has name "
                                  f"{getattr(cls, 'name', None)!r}; its `name` must equal the registered name")
            self._baseline_classes[name] = cls
        return self._baseline_classes[name]

    def origin_of(self, plugin_name: str) -> Origin:
        return self.plugins.get(plugin_name, Origin(plugin_name))


# ------------------------------------------------------------------------------------------------
# The manager
# ------------------------------------------------------------------------------------------------

_manager: pluggy.PluginManager | None = None
_origins: dict[str, Origin] = {}
_load_failures: list[PluginFailure] = []
_cache: tuple[tuple[tuple[str, Any], ...], Registry] | None = None


def strict_plugins() -> bool:
    return os.environ.get("POLYSEQ_STRICT_PLUGINS", "") not in ("", "0", "false", "no")


def get_manager() -> pluggy.PluginManager:
    """The process's plugin manager, created (and entry points loaded) on first call."""
    global _manager
    if _manager is None:
        pm = pluggy.PluginManager(GROUP)
        pm.add_hookspecs(hookspecs)
        if os.environ.get("POLYSEQ_TRACE_PLUGINS", "") not in ("", "0"):
            pm.trace.root.setwriter(lambda msg: sys.stderr.write(msg))
            pm.enable_tracing()
        from polyseq import core_plugin

        _register(pm, core_plugin, CORE_PLUGIN, Origin(CORE_PLUGIN, "polyseq", _version("polyseq")))
        _load_entry_points(pm)
        _manager = pm
    return _manager


def reset() -> None:
    """Forget the manager and registry (the next use loads plugins again)."""
    global _manager, _cache
    _manager, _cache = None, None
    _origins.clear()
    _load_failures.clear()


def register(plugin: Any, name: str | None = None) -> str:
    """Register a plugin object explicitly (tests, notebooks). Returns the name it got."""
    pm = get_manager()
    name = name or getattr(plugin, "__name__", None) or f"{type(plugin).__name__}-{id(plugin):x}"
    if not _register(pm, plugin, name, Origin(name)):
        raise PluginError(str(_load_failures[-1]))
    return name


def unregister(name_or_plugin: Any) -> None:
    pm = get_manager()
    if isinstance(name_or_plugin, str):
        pm.unregister(name=name_or_plugin)
    else:
        pm.unregister(name_or_plugin)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return ""


def _fail(failure: PluginFailure) -> None:
    if strict_plugins():
        raise PluginError(f"{failure} (POLYSEQ_STRICT_PLUGINS is set)") from failure.error
    _load_failures.append(failure)


def _register(pm: pluggy.PluginManager, plugin: Any, name: str, origin: Origin) -> bool:
    try:
        pm.register(plugin, name=name)
        pm.check_pending()
    except Exception as e:
        if pm.is_registered(plugin):
            pm.unregister(plugin)
        _fail(PluginFailure(name, origin, "validation", e))
        return False
    _origins[name] = origin
    return True


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    wanted = os.environ.get("POLYSEQ_LOAD_PLUGINS")
    selected = None if wanted is None else {n.strip() for n in wanted.split(",") if n.strip()}
    seen: set[str] = set()
    for ep in sorted(metadata.entry_points(group=GROUP), key=lambda ep: ep.name):
        if ep.name in seen or (selected is not None and ep.name not in selected):
            continue
        seen.add(ep.name)
        dist = ep.dist.name if ep.dist else "(unknown distribution)"
        origin = Origin(ep.name, dist, ep.dist.version if ep.dist else "")
        try:
            plugin = ep.load()
        except Exception as e:
            _fail(PluginFailure(ep.name, origin, "import", e))
            continue
        _register(pm, plugin, ep.name, origin)


# ------------------------------------------------------------------------------------------------
# Building the registry
# ------------------------------------------------------------------------------------------------


def registry() -> Registry:
    """The registry for the current set of plugins, built once and rebuilt when plugins change."""
    global _cache
    pm = get_manager()
    # the key holds the plugin objects themselves, so a freed plugin's id() reused by a new one
    # cannot match a stale registry (the objects stay alive while they are the key)
    key = tuple(sorted(((n, p) for n, p in pm.list_name_plugin() if p is not None), key=lambda t: t[0]))
    same = _cache is not None and len(_cache[0]) == len(key) and all(
        a[0] == b[0] and a[1] is b[1] for a, b in zip(_cache[0], key))
    if not same:
        _cache = (key, build_registry(pm))
    return _cache[1]


def build_registry(pm: pluggy.PluginManager) -> Registry:
    reg = Registry(failures=list(_load_failures))
    for name, plugin in pm.list_name_plugin():
        if plugin is not None:
            reg.plugins[name] = _origins.get(name, Origin(name))

    def add_domain(domain: Domain, origin: Origin) -> None:
        if not isinstance(domain, Domain):
            raise PluginError(f"register_domains: expected a polyseq.Domain, got {type(domain).__name__}")
        if domain.name in reg.domains:
            raise PluginError(f"domain {domain.name!r} is already registered by {reg.domain_origins[domain.name]}")
        reg.domains[domain.name] = domain
        reg.domain_origins[domain.name] = origin

    def entry_adder(table: dict[str, Entry], kind: str) -> Callable[..., None]:
        def add(name: str, ref: Any, origin: Origin, description: str = "") -> None:
            if name in table:
                raise PluginError(f"{kind} {name!r} is already registered by {table[name].origin}")
            table[name] = Entry(name, ref, description, origin)

        return add

    _call_each(pm, "register_domains", reg, add_domain)
    _call_each(pm, "register_tokenizers", reg, entry_adder(reg.tokenizers, "tokenizer"))
    _call_each(pm, "register_backbones", reg, entry_adder(reg.backbones, "backbone"))
    _call_each(pm, "register_tasks", reg, entry_adder(reg.tasks, "task"))
    _call_each(pm, "register_baselines", reg, entry_adder(reg.baselines, "baseline"))

    def add_dataset(entry: Any, origin: Origin) -> None:
        from polyseq.catalog.entry import DatasetEntry

        if not isinstance(entry, DatasetEntry):
            raise PluginError(f"register_datasets: expected a polyseq.catalog.DatasetEntry, got {type(entry).__name__}")
        if entry.name in reg.datasets:
            raise PluginError(f"dataset {entry.name!r} is already registered by {reg.datasets[entry.name].origin}")
        reg.datasets[entry.name] = Entry(entry.name, entry, entry.description, origin)

    _call_each(pm, "register_datasets", reg, add_dataset)
    return reg


def _call_each(pm: pluggy.PluginManager, hook_name: str, reg: Registry, add: Callable[..., None]) -> None:
    """Call each implementation separately so that one failing plugin cannot hide the others.

    Each call goes through pluggy's hook caller (restricted to one plugin), so pluggy's tracing
    (POLYSEQ_TRACE_PLUGINS=1) and any hook wrappers see it as an ordinary hook call.
    """
    hook = getattr(pm.hook, hook_name)
    for impl in hook.get_hookimpls():
        origin = reg.origin_of(impl.plugin_name)
        staged: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

        def register(*args: Any, **kwargs: Any) -> None:
            staged.append((args, kwargs))

        others = [p for name, p in pm.list_name_plugin() if p is not None and name != impl.plugin_name]
        try:
            pm.subset_hook_caller(hook_name, remove_plugins=others)(register=register)
            for args, kwargs in staged:
                add(*args, origin=origin, **kwargs)
        except Exception as e:
            failure = PluginFailure(impl.plugin_name, origin, hook_name, e)
            if strict_plugins():
                raise PluginError(f"{failure} (POLYSEQ_STRICT_PLUGINS is set)") from e
            reg.failures.append(failure)
            if not isinstance(e, PolyseqError):
                warnings.warn(str(failure), RuntimeWarning, stacklevel=2)
