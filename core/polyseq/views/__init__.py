"""What users look at: token boundaries, next-token choices and the curves of a finished run.

Each view works for every domain through the tokenizer and task contracts, never per-domain code;
matplotlib is imported only when an image is asked for.
"""
