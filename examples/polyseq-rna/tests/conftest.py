pytest_plugins = ["polyseq.testing"]  # polyseq's conformance kit
