"""Subjects, stream and consumer names, all under one optional prefix so test runs never meet."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BusNames:
    prefix: str = ""

    def subject(self, contract_subject: str) -> str:
        return f"{self.prefix}.{contract_subject}" if self.prefix else contract_subject

    def contract_subject(self, wire_subject: str) -> str:
        return wire_subject.removeprefix(f"{self.prefix}.") if self.prefix else wire_subject

    def stream(self, producer: str) -> str:
        return f"{self.prefix or 'afas'}_{producer}".upper()

    def stream_subjects(self, producer: str) -> list[str]:
        # Events have exactly three tokens (`producer.event.vN`); RPC subjects have four
        # (`producer.rpc.verb.vN`), so the stream never captures request/reply traffic.
        return [self.subject(f"{producer}.*.*")]

    def rpc(self, service: str, verb: str, version: int = 1) -> str:
        return self.subject(f"{service}.rpc.{verb}.v{version}")

    @staticmethod
    def durable(consumer: str, contract_subject: str) -> str:
        return f"{consumer}__{contract_subject.replace('.', '_')}"
