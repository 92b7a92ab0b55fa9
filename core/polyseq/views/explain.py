"""Next-token choices: for each generated step, the top-k tokens with the sampler's and the model's probabilities.

`explain(model, prompts, cfg, k)` samples exactly as `polyseq generate` does (it is
`polyseq.generation.generate` with an `on_step` callback) and records, per sample and step:

- `p`: the probability the sampler drew from - after banned special tokens, repetition penalty,
  temperature, top-k and top-p (greedy, temperature 0, puts all of it on its choice);
- `p_raw`: the softmax of the model's own logits at that step, before any of those;
- the emitted token, by id and by the tokenizer's token string (`Pitch_60`, `[C]`, `Ġthe`), and the
  top k tokens ranked by `p` (ties, such as the zeros top-k sampling leaves, ranked by `p_raw`).

`format_table` prints them, `write_jsonl` writes one JSON object per step, `plot` draws the first
steps of a sample as bar charts (matplotlib, imported only there).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from polyseq.errors import ConfigError
from polyseq.generation import SamplingConfig, StepChoice, generate


@dataclass(frozen=True)
class Choice:
    id: int
    token: str
    p: float  # the sampler's probability
    p_raw: float  # softmax of the model's logits


@dataclass(frozen=True)
class Step:
    sample: int  # index of the sample in the whole run
    step: int  # 0: the first new token
    id: int  # the token emitted
    token: str
    p: float
    p_raw: float
    top: list[Choice]  # the k most probable by p, most probable first

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Explanation:
    """Samples (decoded, prompts included) and every step of every sample, in sample then step order."""

    samples: list[Any]
    prompts: list[list[str]]  # each prompt's tokens
    steps: list[Step]
    sampling: SamplingConfig
    k: int
    start: int = 0  # index of the first sample
    legend: str = field(init=False)

    def __post_init__(self) -> None:
        self.legend = legend(self.sampling)

    def of_sample(self, index: int) -> list[Step]:
        return [s for s in self.steps if s.sample == index]

    def extend(self, other: Explanation) -> None:
        """Append a later chunk of the same run."""
        self.samples += other.samples
        self.prompts += other.prompts
        self.steps += other.steps


def legend(cfg: SamplingConfig) -> str:
    """What the two probabilities are, with the sampling settings that shaped `p`."""
    how = ("greedy (temperature 0: p is 1 on the argmax)" if cfg.temperature == 0 else
           f"temperature {cfg.temperature:g}, top-k {cfg.top_k or '-'}, top-p {cfg.top_p or '-'}")
    return (f"p = the sampler's probability ({how}, repetition penalty {cfg.repetition_penalty:g}, special tokens "
            "banned); raw = softmax of the model's logits; * = the token emitted")


@torch.no_grad()
def explain(model: Any, prompts: Sequence[Any], cfg: SamplingConfig, k: int = 5, start: int = 0,
            use_cache: bool = True) -> Explanation:
    """Continue each prompt sample (None: no prompt) of a causal LM `SequenceModel` and record every step.

    The samples are those `polyseq generate` writes for the same prompts and `cfg`; `start` is the index
    of the first prompt in a larger run (the sample numbers in the records).
    """
    if k < 1:
        raise ConfigError(f"--explain K must be >= 1, got {k}")
    tokenizer = model.tokenizer()
    ids = [[] if x is None else list(tokenizer.encode(x)) for x in prompts]
    steps: list[Step] = []
    name = tokenizer.id_to_token

    def record(seen: StepChoice) -> None:
        raw = seen.logits.float().softmax(-1)
        width = min(k, raw.size(-1))
        by_raw = raw.argsort(dim=-1, descending=True, stable=True)
        top = by_raw.gather(1, seen.probs.gather(1, by_raw).argsort(dim=-1, descending=True, stable=True)[:, :width])
        chosen = seen.chosen[:, None]
        p, p_raw = seen.probs.gather(1, top).tolist(), raw.gather(1, top).tolist()
        p_chosen, raw_chosen = seen.probs.gather(1, chosen)[:, 0].tolist(), raw.gather(1, chosen)[:, 0].tolist()
        top_ids, chosen_ids = top.tolist(), seen.chosen.tolist()
        for row in seen.active.nonzero()[:, 0].tolist():
            choices = [Choice(i, name(i), a, b) for i, a, b in zip(top_ids[row], p[row], p_raw[row], strict=True)]
            steps.append(Step(start + row, seen.step, chosen_ids[row], name(chosen_ids[row]), p_chosen[row],
                              raw_chosen[row], choices))

    new = generate(model, ids, cfg, use_cache=use_cache, on_step=record)
    steps.sort(key=lambda s: (s.sample, s.step))
    samples = [tokenizer.decode(p + n) for p, n in zip(ids, new, strict=True)]
    return Explanation(samples, [[name(i) for i in p] for p in ids], steps, cfg, k, start)


# ---- output ----------------------------------------------------------------------------------------


def _shown(token: str, width: int | None = None) -> str:
    """A token as one visible cell: whitespace and control characters escaped, a space as '␣'."""
    text = json.dumps(token, ensure_ascii=False)[1:-1].replace('\\"', '"').replace(" ", "\u2423")
    if width is not None and len(text) > width:
        text = text[: width - 1] + "\u2026"
    return text


def format_table(explanation: Explanation, max_steps: int | None = None) -> str:
    """The terminal view: the legend, then per sample one line per step (at most `max_steps`)."""
    lines = [f"next-token choices, top {explanation.k} by p. {explanation.legend}"]
    by_sample: dict[int, list[Step]] = {}
    for s in explanation.steps:
        by_sample.setdefault(s.sample, []).append(s)
    for index in range(explanation.start, explanation.start + len(explanation.samples)):
        prompt = explanation.prompts[index - explanation.start]
        shown = " ".join(_shown(t) for t in prompt[:20]) + (" \u2026" if len(prompt) > 20 else "")
        lines += ["", f"sample {index}" + (f" (prompt: {shown})" if prompt else " (no prompt)"),
                  f"{'step':>4}  {'chosen':<12} {'p':>6} {'raw':>6}  top {explanation.k}: token p/raw"]
        steps = by_sample.get(index, [])
        for s in steps[:max_steps]:
            top = "  ".join(f"{'*' if c.id == s.id else ''}{_shown(c.token, 12)} {c.p:.3f}/{c.p_raw:.3f}" for c in s.top)
            lines.append(f"{s.step:>4}  {_shown(s.token, 12):<12} {s.p:>6.3f} {s.p_raw:>6.3f}  {top}")
        if max_steps is not None and len(steps) > max_steps:
            lines.append(f"  ... {len(steps) - max_steps} more steps")
        sample = explanation.samples[index - explanation.start]
        if isinstance(sample, str):  # other samples (a MIDI score) have no one-line form
            lines.append(f"  = {_shown(sample, 100)}")
    return "\n".join(lines)


def write_jsonl(explanation: Explanation, path: str | Path) -> Path:
    """One JSON object per step: sample, step, id, token, p, p_raw and `top` (a list of id/token/p/p_raw)."""
    path = Path(path)
    with open(path, "w", encoding="utf-8") as f:
        for s in explanation.steps:
            f.write(json.dumps(s.to_dict(), ensure_ascii=False) + "\n")
    return path


def plot(explanation: Explanation, path: str | Path, steps: int = 8, sample: int | None = None) -> Path:
    """Bar charts of the first `steps` steps of one sample (default: the first): per step its top-k
    tokens, the sampler's p beside the raw softmax, the emitted token's bars highlighted."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    index = explanation.start if sample is None else sample
    shown = explanation.of_sample(index)[:steps]
    if not shown:
        raise ConfigError(f"--plot: sample {index} has no steps to draw")
    cols = min(4, len(shown))
    rows = -(-len(shown) // cols)
    bars = explanation.k + 1  # room for the emitted token when it is not among the top k
    height = 0.3 * bars * rows + 0.9 * rows + 0.5
    fig = Figure(figsize=(3.4 * cols, height))  # fixed margins: a layout engine doubles the drawing time
    fig.subplots_adjust(left=1.2 / (3.4 * cols), right=0.98, bottom=0.45 / height, top=1 - 0.75 / height,
                        wspace=0.6, hspace=0.9 / (0.3 * bars + 0.9))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, s in zip(axes.flat, shown, strict=False):
        choices = s.top if any(c.id == s.id for c in s.top) else [*s.top, Choice(s.id, s.token, s.p, s.p_raw)]
        choices = choices[::-1]  # barh draws bottom-up: the most probable on top
        y = list(range(len(choices)))
        emitted = [c.id == s.id for c in choices]
        ax.barh([v + 0.2 for v in y], [c.p for c in choices], height=0.4, label="p (sampler)",
                color=["tab:orange" if e else "tab:blue" for e in emitted])
        ax.barh([v - 0.2 for v in y], [c.p_raw for c in choices], height=0.4, label="raw softmax", color="0.7")
        ax.set_yticks(y, [_shown(c.token, 14) for c in choices], fontsize=8)
        for tick, e in zip(ax.get_yticklabels(), emitted, strict=True):
            tick.set_fontweight("bold" if e else "normal")
        ax.set_xlim(0, 1.1 * max(max(c.p, c.p_raw) for c in choices) or 1)
        ax.tick_params(axis="x", labelsize=7)
        ax.set_title(f"step {s.step}: {_shown(s.token, 16)} (p {s.p:.3g})", fontsize=9)
    for ax in list(axes.flat)[len(shown):]:
        ax.set_visible(False)
    handles = [Patch(color="tab:blue", label="p (sampler)"), Patch(color="tab:orange", label="p of the token emitted"),
               Patch(color="0.7", label="raw softmax")]
    fig.legend(handles=handles, loc="upper right", ncols=3, fontsize=7, frameon=False)
    fig.suptitle(f"sample {index}: next-token choices", fontsize=10, x=0.02, ha="left")
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path
