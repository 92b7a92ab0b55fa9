"""polyseq domain plugin: code (in progress)."""
