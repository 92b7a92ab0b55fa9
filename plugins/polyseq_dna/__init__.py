"""polyseq domain plugin: dna (in progress)."""
