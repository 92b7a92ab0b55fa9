"""Backbones: token ids (+ padding mask) -> hidden states. Heads and losses live outside.

    Transformer(TransformerConfig(...))   encoder or decoder, models/transformer.py
    RNN(RNNConfig(...))                   LSTM or GRU, models/rnn.py
    Backbone                              the contract both meet, models/backbone.py

Both are registered through the `register_backbones` hook (as "transformer" and "rnn"), like a
plugin's backbone would be.
"""

from polyseq.models.backbone import Backbone
from polyseq.models.rnn import RNN, RNNConfig
from polyseq.models.transformer import KVCache, Transformer, TransformerConfig

__all__ = ["RNN", "Backbone", "KVCache", "RNNConfig", "Transformer", "TransformerConfig"]
