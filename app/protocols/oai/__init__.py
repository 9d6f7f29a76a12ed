"""OAI-PMH 2.0: harvesting the catalogue, deletions included."""
