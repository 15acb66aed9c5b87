"""Event contracts, one module per producing service (the producer owns its contracts)."""
