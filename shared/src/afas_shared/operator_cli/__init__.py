"""``afas``: the operator's one command (README, "Operations"), its subcommands idempotent, each with ``--json``.

Every subcommand acts through an interface the owning service authenticates and audits, never on another
service's database: the gateway's public API with the operator's bootstrap secret (Caf agents, campaigns, a
partner's data), identity's operator verbs over the gateway's NATS credential (the signing key), and the
dead-letter desk of the service itself (``afas_shared.messaging.dead_letter_cli``, run where that service runs).
"""
