"""The library protocols other systems already speak: SRU (CQL) and OAI-PMH."""
