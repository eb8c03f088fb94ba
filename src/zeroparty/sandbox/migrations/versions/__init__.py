"""The sandbox's migrations, applied by `zeroparty.sandbox.migrate.upgrade`."""
