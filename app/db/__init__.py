"""Storage: the engine, the ORM models and one repository module per aggregate."""
