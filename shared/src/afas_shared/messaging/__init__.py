"""Reliable messaging on NATS JetStream: outbox relay, idempotent consumers, request/reply."""
