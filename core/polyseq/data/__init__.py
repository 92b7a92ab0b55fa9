"""The data pipeline: files -> records -> token ids (cached once) -> task views -> padded batches."""
