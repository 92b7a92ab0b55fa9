"""polyseq domain plugin: text (in progress)."""
