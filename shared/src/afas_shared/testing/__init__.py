"""Test support shared by every service's tests (a pytest plugin; imports test-only packages lazily)."""
