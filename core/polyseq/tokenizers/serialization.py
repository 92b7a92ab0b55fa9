"""Tokenizers as versioned JSON files; nothing is ever unpickled.

File layout::

    {"format": "polyseq-tokenizer", "format_version": 1, "type": "dna.kmer",
     "config": {...}, "sha256": "<hash of the canonical config>",
     "domain": "dna", "complete": true}

`type` finds the class through the plugin registry; the hash catches a file edited by hand or
damaged in transit before a wrong vocabulary silently trains a model.

`domain` names the domain the tokenizer was made for (written when the caller passes it to
`save_tokenizer`; a domain tokenizer's `type` says it anyway, `<domain>.<name>`): `check_domain` refuses
a SMILES tokenizer on DNA data. `complete` says the config holds every option of the class: such a
file missing one is refused instead of taking a default. Files written before lack both keys (and
may lack options added since): they load as they always did.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from polyseq.errors import PolyseqError, TokenizerFormatError

FORMAT = "polyseq-tokenizer"
#: core blocks not registered as tokenizers by name (their samples are not a domain's strings), which
#: a file saved from a bare instance still names
UNREGISTERED_BLOCKS = {"track": "polyseq.tokenizers.track:TrackTokenizer"}
FORMAT_VERSION = 1


def config_digest(config: dict[str, Any]) -> str:
    canonical = json.dumps(config, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def tokenizer_to_dict(tokenizer: Any, domain: str | None = None) -> dict[str, Any]:
    """The tokenizer's JSON form; `domain` records the domain it was made for (core tokenizers are cross-domain)."""
    if getattr(tokenizer, "trainable", False) and not getattr(tokenizer, "is_trained", True):
        raise PolyseqError(
            f"tokenizer {tokenizer.type_name!r} has not been trained; call train(samples) before saving it"
        )
    config = tokenizer.to_config()
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "type": tokenizer.type_name,
        "config": config,
        "sha256": config_digest(config),
        **({"domain": domain} if domain else {}),
        "complete": True,
    }


def tokenizer_domain(data: Any) -> str | None:
    """The domain a tokenizer JSON dict was made for: its `domain` key, else the `<domain>.` of its type."""
    if not isinstance(data, dict):
        return None
    if data.get("domain"):
        return str(data["domain"])
    domain, dot, _ = str(data.get("type", "")).partition(".")
    return domain if dot else None


def check_domain(data: Any, domain: str, source: str) -> None:
    """A TokenizerFormatError when the tokenizer of `data` was made for another domain than `domain`."""
    made_for = tokenizer_domain(data)
    if made_for is not None and made_for != domain:
        raise TokenizerFormatError(
            f"{source}: a tokenizer for domain {made_for!r} (type {data.get('type')!r}), but the data is domain "
            f"{domain!r}: most tokens would be <unk>. Use a {domain} tokenizer, or read the data as domain {made_for!r}"
        )


def save_tokenizer(tokenizer: Any, path: str | os.PathLike[str], domain: str | None = None) -> None:
    """Write the tokenizer's JSON atomically (a crash never leaves a half-written file)."""
    from polyseq.data import write_text_atomically

    write_text_atomically(path, json.dumps(tokenizer_to_dict(tokenizer, domain), ensure_ascii=False, indent=1))


def tokenizer_from_dict(data: Any, source: str = "<dict>", registry: Any = None) -> Any:
    """Rebuild a tokenizer from its JSON dict; `source` names the file in errors."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise TokenizerFormatError(
            f"{source}: not a polyseq tokenizer file (expected a JSON object with \"format\": \"{FORMAT}\")"
        )
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise TokenizerFormatError(
            f"{source}: tokenizer format version {version!r} is not supported; this polyseq reads version "
            f"{FORMAT_VERSION}. Upgrade polyseq, or re-save the tokenizer with the version that wrote it."
        )
    missing = [k for k in ("type", "config", "sha256") if k not in data]
    if missing:
        raise TokenizerFormatError(f"{source}: missing key(s) {', '.join(missing)}")
    config = data["config"]
    if not isinstance(config, dict) or config_digest(config) != data["sha256"]:
        raise TokenizerFormatError(
            f"{source}: the tokenizer's config does not match its sha256: the file was modified or damaged. "
            "Use the original file, or rebuild the tokenizer and save it again."
        )
    if registry is None:
        from polyseq.plugins import registry as current_registry

        registry = current_registry()
    if data["type"] in UNREGISTERED_BLOCKS:
        from polyseq.domain import resolve

        cls = resolve(UNREGISTERED_BLOCKS[data["type"]], f"tokenizer {data['type']!r}")
    else:
        cls = registry.tokenizer_class(data["type"], where=f" (needed by {source})")
    try:
        tokenizer = cls.from_config(config)
    except PolyseqError as e:
        raise TokenizerFormatError(f"{source}: {e}") from e
    except (KeyError, TypeError, ValueError) as e:
        raise TokenizerFormatError(
            f"{source}: invalid config for tokenizer type {data['type']!r}: {type(e).__name__}: {e}"
        ) from e
    if data.get("complete"):
        missing = sorted(set(tokenizer.to_config()) - set(config))
        if missing:
            raise TokenizerFormatError(
                f"{source}: option(s) {', '.join(missing)} missing from the config of tokenizer type {data['type']!r} "
                "(a file this polyseq writes holds every option; a missing one is not replaced by a default). "
                "Use the original file, or rebuild the tokenizer and save it again"
            )
    return tokenizer


def load_tokenizer(path: str | os.PathLike[str], registry: Any = None) -> Any:
    """Load any registered tokenizer from the JSON file `save()` wrote."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TokenizerFormatError(f"{path}: no such tokenizer file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise TokenizerFormatError(f"{path}: cannot read tokenizer file: {e}") from e
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise TokenizerFormatError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from e
    return tokenizer_from_dict(data, source=str(path), registry=registry)
