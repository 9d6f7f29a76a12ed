"""Search over the catalogue: the query model, its parser, and one index per database engine."""
