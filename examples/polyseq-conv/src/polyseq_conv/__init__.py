"""polyseq plugin: a dilated convolutional backbone. Hook implementations only; the model is in model.py."""

from polyseq import hookimpl


@hookimpl
def register_backbones(register):
    # a "module:Class" string: `polyseq plugins` lists the backbone without importing torch code
    register("conv", "polyseq_conv.model:Conv",
             description="dilated 1-D convolutions: causal (incremental decoding) or bidirectional")
