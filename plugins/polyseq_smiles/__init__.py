"""polyseq domain plugin: smiles (in progress)."""
