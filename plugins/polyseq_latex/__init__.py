"""polyseq domain plugin: latex (in progress)."""
