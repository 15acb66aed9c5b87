"""The one place test fixtures come from (see afas_shared.testing.fixtures)."""

pytest_plugins = ["afas_shared.testing.fixtures"]
