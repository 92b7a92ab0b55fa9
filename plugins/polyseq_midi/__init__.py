"""polyseq domain plugin: midi (in progress)."""
