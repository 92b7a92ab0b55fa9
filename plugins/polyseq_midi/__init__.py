"""polyseq domain plugin: MIDI music (Standard MIDI Files through mido, or symusic when installed).

Importing this package imports neither mido nor numpy: parts are named by "module:attr" strings
and resolved on first use. Read first: score.py (the sample), grid.py (what tokens keep),
tokenizers.py (midilike, remi, remi_bpe).
"""

from polyseq import Domain, hookimpl


@hookimpl
def register_domains(register):
    from polyseq_midi.examples import EXAMPLES  # plain dataclasses: no mido, no numpy

    register(Domain(
        name="midi",
        description="Symbolic music: MIDI files as scores of notes, tempos and time signatures (mido or symusic)",
        tokenizers={
            "remi": "polyseq_midi.tokenizers:REMI",
            "midilike": "polyseq_midi.tokenizers:MIDILike",
            "remi_bpe": "polyseq_midi.tokenizers:REMIBPE",
        },
        default_tokenizer="remi",
        readers={".mid": "polyseq_midi.io:read_midi", ".midi": "polyseq_midi.io:read_midi"},
        examples=EXAMPLES,
        sample_strategy="polyseq_midi.strategies:valid_scores",
        validator="polyseq_midi.metrics:validate",
        augmentations={
            "transpose": "polyseq_midi.augment:transpose",
            "velocity": "polyseq_midi.augment:scale_velocity",
            "tempo": "polyseq_midi.augment:change_tempo",
        },
        metrics="polyseq_midi.metrics:metrics",
        writer="polyseq_midi.io:write_midi",
        example_files="polyseq_midi.io:example_files",
    ))

from polyseq_midi.datasets import register_datasets  # noqa: E402,F401  (hookimpl: the catalog entries)
