"""The sandbox's own Alembic history (version table `sandbox_alembic_version`)."""
