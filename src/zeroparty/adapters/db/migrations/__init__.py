"""zeroparty's Alembic history (version table `alembic_version`), applied by `adapters.db.migrate`."""
