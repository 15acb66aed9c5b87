"""Where the bytes of supporting documents live: NATS JetStream's Object Store, behind one small typed seam.

Why JetStream's Object Store rather than a directory or PostgreSQL large objects: the platform already runs a
replicated JetStream cluster (``AFAS_BUS_STREAM_REPLICAS``), so files get the same replication, the same crash
drills and the same backups as the events, on every machine of the cluster, with no new engine to operate; the
database keeps only the small metadata rows (name, size, SHA-256, who, when). An object is chunked (128 KiB
messages) and its metadata message is published last: an upload cut short leaves chunks no metadata names, never
a readable half file. ``sweep_stray_chunks`` removes such chunks; the application removes objects whose row was
never written (``application.attachments.sweep``).

The bucket is ``<PREFIX>_DECLARATION_FILES`` (``AFAS_DECLARATION_FILES`` in production), its stream
``OBJ_<bucket>``: the declaration service's NATS user may use that bucket's subjects and JetStream API only
(``afas_shared.contracts.bus_permissions.object_store_rights``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext, api
from nats.js.errors import BucketNotFoundError, NotFoundError, ObjectNotFoundError
from nats.js.object_store import ObjectStore


class StoreUnavailable(Exception):
    """The object store cannot be reached now (broker down, timeout): the caller answers 503."""


class ObjectMissing(Exception):
    """No complete object under that name."""


@dataclass(frozen=True)
class StoredObject:
    name: str
    size: int
    sha256: str  # hex


class FileStore(Protocol):
    """The seam the use cases see (attachments today, the secure thread's later): whole objects by name."""

    async def put(self, name: str, content: bytes) -> StoredObject: ...

    async def get(self, name: str) -> bytes: ...

    async def delete(self, name: str) -> None: ...

    async def sweep_stray_chunks(self, older_than: timedelta) -> int: ...


class JetStreamFileStore:
    """A ``FileStore`` in ``bucket``, on the service's own JetStream connection (``jetstream``: the context while
    connected, None otherwise — ``Bus.jetstream``), the bucket created on first use."""

    def __init__(
        self, jetstream: Callable[[], JetStreamContext | None], bucket: str, *, replicas: int, timeout: float
    ) -> None:
        self._jetstream = jetstream
        self.bucket = bucket
        self.stream = f"OBJ_{bucket}"
        self._replicas = replicas
        self._timeout = timeout
        self._opened: tuple[object, ObjectStore] | None = None  # (the JetStream context, its store)

    async def _store(self) -> ObjectStore:
        store = await self._existing(create=True)
        assert store is not None  # created when absent
        return store

    async def _existing(self, *, create: bool = False) -> ObjectStore | None:
        """The bucket; when absent, created (``create``) or None: a sweep never creates a bucket nobody wrote to."""
        js = self._jetstream()
        if js is None:
            raise StoreUnavailable("bus not connected")
        if self._opened is not None and self._opened[0] is js:
            return self._opened[1]
        try:
            store = await js.object_store(self.bucket)
        except (BucketNotFoundError, NotFoundError):
            if not create:
                return None
            config = api.ObjectStoreConfig(
                description="AFAS: pièces justificatives des déclarations", replicas=self._replicas
            )
            store = await js.create_object_store(self.bucket, config=config)
        self._opened = (js, store)
        return store

    async def _bounded(self, work):
        try:
            return await asyncio.wait_for(work, self._timeout)
        except (TimeoutError, NatsTimeoutError, ConnectionError) as exc:
            raise StoreUnavailable(str(exc) or type(exc).__name__) from exc

    async def put(self, name: str, content: bytes) -> StoredObject:
        """Stores ``content`` whole under ``name``; returns once the server acknowledged every chunk and the
        metadata message, the SHA-256 the store computed and checks on every read."""

        async def put() -> StoredObject:
            info = await (await self._store()).put(name, content)
            return StoredObject(name, info.size or 0, _hex_digest(info.digest))

        return await self._bounded(put())

    async def get(self, name: str) -> bytes:
        """The object's bytes, checked against its SHA-256 (``StoreUnavailable`` otherwise).

        Read here rather than by nats-py's ``ObjectStore.get``, which looks its stream up by subject
        (``$JS.API.STREAM.NAMES``, every stream's name): naming the stream keeps the service to its bucket's API."""

        async def get() -> bytes:
            try:
                info = await (await self._store()).get_info(name)
            except ObjectNotFoundError:
                raise ObjectMissing(name) from None
            if not info.size:
                return b""
            js = self._jetstream()
            if js is None:
                raise StoreUnavailable("bus not connected")
            subject = f"$O.{self.bucket}.C.{info.nuid}"
            subscription = await js.subscribe(subject, stream=self.stream, ordered_consumer=True)
            content = bytearray()
            try:
                while True:
                    message = await subscription.next_msg(timeout=self._timeout)
                    content += message.data
                    if message.metadata.num_pending == 0:
                        break
            finally:
                await subscription.unsubscribe()
            if hashlib.sha256(content).hexdigest() != _hex_digest(info.digest):
                raise StoreUnavailable(f"object {name}: its content does not match its SHA-256")
            return bytes(content)

        return await self._bounded(get())

    async def delete(self, name: str) -> None:
        """Removes the object's chunks and then its metadata message (nothing left under its name)."""

        async def delete() -> None:
            store = await self._existing()
            if store is None:
                return
            try:
                await store.delete(name)
            except ObjectNotFoundError:
                pass
            js = self._jetstream()
            if js is not None:  # the tombstone too: a deleted object leaves no subject behind
                await js.purge_stream(self.stream, subject=_meta_subject(self.bucket, name))

        await self._bounded(delete())

    async def sweep_stray_chunks(self, older_than: timedelta) -> int:
        """Purges the chunks of uploads cut short (no metadata names them) whose last chunk is older than
        ``older_than``; returns how many objects' chunks were purged. Cheap when nothing is stray: two subject
        counts, then a walk only when there are more chunk subjects than metadata subjects."""

        async def sweep() -> int:
            if await self._existing() is None:
                return 0
            js = self._jetstream()
            assert js is not None  # _existing() checked it
            chunks = await self._subjects(js, f"$O.{self.bucket}.C.>")
            metas = await self._subjects(js, f"$O.{self.bucket}.M.>")
            if len(chunks) <= len(metas):
                return 0
            named = set()
            for subject in metas:
                last = await js.get_last_msg(self.stream, subject)
                named.add(json.loads(last.data or b"{}").get("nuid"))
            purged, limit = 0, datetime.now(UTC) - older_than
            for subject in chunks:
                if subject.rsplit(".", 1)[-1] in named:
                    continue
                last = await js.get_last_msg(self.stream, subject)
                if last.time is not None and last.time < limit:
                    await js.purge_stream(self.stream, subject=subject)
                    purged += 1
            return purged

        return await self._bounded(sweep())

    async def _subjects(self, js, pattern: str) -> list[str]:
        info = await js.stream_info(self.stream, subjects_filter=pattern)
        return list((info.state.subjects or {}).keys())


def _meta_subject(bucket: str, name: str) -> str:
    return f"$O.{bucket}.M.{base64.urlsafe_b64encode(name.encode()).decode()}"


def _hex_digest(digest: str | None) -> str:
    """nats-py's ``SHA-256=<base64url>`` as the hex the snapshot and the receipt print."""
    encoded = (digest or "").split("=", 1)[-1]
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).hex()
