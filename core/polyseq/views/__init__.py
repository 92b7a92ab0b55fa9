"""What users look at: token boundaries, next-token choices and the curves of a finished run.

Each view works for every domain through the tokenizer and task contracts, never per-domain code;
matplotlib is imported only when an image is asked for.
"""

from __future__ import annotations

from pathlib import Path


def check_image_path(path: str | Path | None, flag: str) -> None:
    """An image file matplotlib can write, checked before any work: the suffix names the format."""
    if path is None:
        return
    from matplotlib.backend_bases import FigureCanvasBase

    kinds = FigureCanvasBase.get_supported_filetypes()
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in kinds:
        from polyseq.errors import ConfigError

        raise ConfigError(f"{flag} {path}: matplotlib cannot write {'.' + suffix if suffix else 'a file without a suffix'}; "
                          f"end the name in .png, .svg or .pdf (any of: {', '.join(sorted(kinds))})")
