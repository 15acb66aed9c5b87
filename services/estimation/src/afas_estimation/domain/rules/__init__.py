"""One rule per PS family, and the registry that finds it."""
