"""Read models that several services keep, each in its own database, fed by events."""
