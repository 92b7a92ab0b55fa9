"""Every hook a polyseq plugin can implement, and nothing else.

A plugin is a module (or object) with functions marked `@polyseq.hookimpl`, listed under the
`polyseq` entry-point group of its distribution::

    [project.entry-points.polyseq]
    protein = "polyseq_protein"

Each hook receives a `register` callback; the core owns duplicate detection and remembers which
plugin and distribution registered what (`polyseq plugins` prints it). A hook implementation may
take fewer arguments than its specification lists; arguments are only ever added, never removed.
Importing this module imports neither torch nor any domain library.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from polyseq.catalog import DatasetEntry
    from polyseq.domain import Domain

hookspec = pluggy.HookspecMarker("polyseq")
hookimpl = pluggy.HookimplMarker("polyseq")


# --------------------------------------------------------------------------------------------
# Domains
# --------------------------------------------------------------------------------------------


@hookspec
def register_domains(register: Callable[[Domain], None]) -> None:
    """Register the sequence domains this plugin provides.

    *Called:* once per process, when the plugin registry is first built (the first call to
    `polyseq.domains()`, `polyseq.get_domain()`, `polyseq.load_tokenizer()` or a CLI command),
    and again only if the set of registered plugins changes.

    Args:
        register: call it once per domain with a `polyseq.Domain`. A domain name already
            registered by another plugin is reported as a failure of the later plugin.

    Returns:
        Nothing; the return value is ignored.

    Example::

        @hookimpl
        def register_domains(register):
            register(Domain(
                name="protein",
                description="Amino-acid sequences",
                tokenizers={"residue": "polyseq_protein.tokenizers:ResidueTokenizer"},
                default_tokenizer="residue",
                readers={".fasta": "polyseq_protein.io:read_fasta"},
            ))
    """


# --------------------------------------------------------------------------------------------
# Cross-domain tokenizers
# --------------------------------------------------------------------------------------------


@hookspec
def register_tokenizers(register: Callable[..., None]) -> None:
    """Register tokenizers that every domain may use (a domain's own tokenizers live on its Domain).

    *Called:* once per process, when the registry is first built.

    Args:
        register: `register(name, tokenizer, description="")` where `tokenizer` is a class that
            satisfies `polyseq.Tokenizer` (or a `"module:Class"` string, imported on first use)
            and whose `type_name` equals `name`. `Domain.make_tokenizer(name)` finds it when
            the domain has no tokenizer of that name; `polyseq.load_tokenizer` finds it by
            the `type` in a tokenizer file.

    Returns:
        Nothing.

    Example::

        @hookimpl
        def register_tokenizers(register):
            register("bytes", ByteTokenizer, description="UTF-8 bytes")
    """


# --------------------------------------------------------------------------------------------
# Backbones
# --------------------------------------------------------------------------------------------


@hookspec
def register_backbones(register: Callable[..., None]) -> None:
    """Register sequence backbones (modules mapping token ids + padding mask to hidden states).

    *Called:* once per process, when the registry is first built.

    Args:
        register: `register(name, backbone, description="")` where `backbone` is a class (or a
            `"module:Class"` string) built by the engine from its configuration dataclass.

    Returns:
        Nothing.

    Example::

        @hookimpl
        def register_backbones(register):
            register("mamba", "polyseq_mamba.model:Mamba", description="selective state space")
    """


# --------------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------------


@hookspec
def register_tasks(register: Callable[..., None]) -> None:
    """Register tasks: what a model learns from a domain's records (lm, classify, tag, seq2seq...).

    A task object owns everything task-specific - how records become training items, the head,
    loss and metrics, what `polyseq predict` writes, the metric `polyseq compare` ranks by, and
    whether the model generates - so a new task needs no change to the engine (see
    `polyseq.tasks.base.Task` and docs/writing-a-plugin.md, "Writing a task").

    *Called:* once per process, when the registry is first built (`--data.task NAME`, `polyseq plugins`).

    Args:
        register: `register(name, task, description="")` where `task` is a `polyseq.tasks.Task`
            subclass (or a `"module:Class"` string, imported on first use) whose `name` equals `name`.
            A task name already registered by another plugin is reported as a failure of the later plugin.

    Returns:
        Nothing.

    Example::

        @hookimpl
        def register_tasks(register):
            register("count", "polyseq_count.task:Count", description="how often something occurs")
    """


# --------------------------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------------------------


@hookspec
def register_datasets(register: Callable[[DatasetEntry], None]) -> None:
    """Register named datasets (catalog entries) that `polyseq datasets` lists and `--data.dataset` uses.

    *Called:* once per process, when the registry is first built (`polyseq datasets`, or a data
    module given `--data.dataset NAME`). Registering downloads nothing: files are fetched on first use.

    Args:
        register: call it once per dataset with a `polyseq.catalog.DatasetEntry` (its files with
            URL, SHA-256 and size, or a generator for an offline dataset; its tasks with target
            and reader options; licence and citation). A dataset name already registered by
            another plugin is reported as a failure of the later plugin.

    Returns:
        Nothing.

    Example::

        @hookimpl
        def register_datasets(register):
            register(DatasetEntry(
                name="uniprot_sample",
                domain="protein",
                description="1,000 reviewed UniProt sequences",
                licence="CC BY 4.0",
                citation="The UniProt Consortium, Nucleic Acids Res. 2023",
                files=(RemoteFile("sample.fasta", url="https://example.org/sample.fasta",
                                  sha256="0f3c...", size=412_345),),
                tasks=(TaskSpec("lm"),),
            ))
    """


# --------------------------------------------------------------------------------------------
# Baselines
# --------------------------------------------------------------------------------------------


@hookspec
def register_baselines(register: Callable[..., None]) -> None:
    """Register baselines: the classical model a field uses as its first reference (fingerprints +
    random forest, k-mer or n-gram linear models, n-gram language models, the majority class).

    A baseline is fitted on the records of the same train split a neural run sees and scored with
    the task's own metric code, so `polyseq compare` shows it as a row beside the neural runs
    (backbone `baseline:<name>`) and `polyseq baseline NAME` runs it like `fit` + `predict` (see
    `polyseq.baselines.Baseline` and docs/writing-a-plugin.md, "Writing a baseline").

    *Called:* once per process, when the registry is first built (`polyseq baseline`, a comparison
    config with `baselines:`, `polyseq plugins`).

    Args:
        register: `register(name, baseline, description="")` where `baseline` is a
            `polyseq.baselines.Baseline` subclass (or a `"module:Class"` string, imported on first
            use) whose `name` equals `name`. A baseline name already registered by another plugin
            is reported as a failure of the later plugin.

    Returns:
        Nothing.

    Example::

        @hookimpl
        def register_baselines(register):
            register("residue_rf", "polyseq_protein.baselines:ResidueForest",
                     description="residue composition + random forest")
    """


def all_hook_names() -> list[str]:
    """Names of every hook specification above (used by the docs test and `polyseq plugins`)."""
    return [name for name, obj in globals().items() if hasattr(obj, "polyseq_spec")]


