# Enables polyseq's conformance kit (a pytest plugin) for this package's tests.
pytest_plugins = ["polyseq.testing"]
