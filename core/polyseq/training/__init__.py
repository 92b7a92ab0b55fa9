"""Training: the Lightning module, the optimiser, the CLI."""
