"""Habilitation's tables for its background jobs (issue 16): an import's file as it arrives, then its records.

The job itself is a row of ``background_job`` (``afas_shared.jobs.tables``); these hold what the job works through.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from afas_shared.db.types import UtcDateTime
from afas_shared.jobs.tables import BackgroundJob

__all__ = ["BackgroundJob", "ImportPart", "ImportRecord"]


class ImportPart(SQLModel, table=True):
    """One piece of an uploaded file, as the gateway sent it (a request on the bus carries 512 KiB at most):
    the job is created once the last piece is in, and the pieces go once the file is cut into records. The pieces of a
    file whose last piece never came are removed by the sweep, ``received_at`` telling how old they are."""

    __tablename__ = "import_part"

    upload_id: uuid.UUID = Field(primary_key=True)  # the job's id, once the file is complete
    position: int = Field(primary_key=True)
    requested_by: uuid.UUID | None = None
    data: bytes
    # null only for a piece written by a replica older than migration 0008: the sweep dates it when it first sees it
    received_at: datetime | None = Field(default=None, sa_type=UtcDateTime())


class ImportRecord(SQLModel, table=True):
    """One record of an imported file, by line: the job's batches read them in line order after its cursor (the
    last line handled), so a resumed job never handles a line twice; ``outcome`` is what became of it."""

    __tablename__ = "import_record"

    job_id: uuid.UUID = Field(primary_key=True)
    line: int = Field(primary_key=True)
    cells: str  # JSON list of the record's cells
    earlier: int | None = None  # the line where its IDEQU first appeared, when it repeats one
    outcome: str | None = Field(default=None, max_length=10)  # creee, modifiee, inchangee, rejetee
