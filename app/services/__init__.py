"""Record use-cases: each opens one transaction, commits it, and returns plain data."""
