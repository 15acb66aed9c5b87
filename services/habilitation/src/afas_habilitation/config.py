from pydantic import Field
from pydantic_settings import SettingsConfigDict

from afas_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AFAS_HABILITATION_", extra="ignore")

    http_port: int = Field(
        default=8002,
        ge=1,
        le=65535,
        description="Public HTTP port (health and readiness; /internal and /metrics on the internal port)",
    )
    # A CSV import of activities is a background job: this many of the file's records per batch, each batch one
    # transaction (its activities, their events, the job's progress).
    import_batch_size: int = Field(
        default=500,
        ge=1,
        le=10000,
        description="Records of an activities CSV import applied per transaction (background job)",
    )
    # A grant over more activities than this is a background job (202, its progress followed); up to it, the grant
    # answers its lines at once, all or nothing, as before.
    # The pieces of a file whose last piece never came (the Caf agent closed the page, the gateway died) are removed
    # once this old; an upload's pieces come seconds apart, so an hour leaves a slow connection ample time.
    import_part_ttl_seconds: float = Field(
        default=3600.0,
        gt=0,
        le=7 * 86400,
        description="Age after which the pieces of an activities CSV upload that was never completed are removed",
    )
    import_part_sweep_seconds: float = Field(
        default=900.0,
        gt=0,
        le=86400,
        description="How often the pieces of uncompleted activities CSV uploads are looked for and removed",
    )
    grant_job_threshold: int = Field(
        default=100,
        ge=1,
        le=10000,
        description="A grant over more activities than this runs as a background job (202 and its progress)",
    )
    grant_batch_size: int = Field(
        default=500, ge=1, le=10000, description="Activities granted per transaction by a bulk grant job"
    )
    # The request completing an upload (or starting a bulk grant) waits this long for its job: a small one answers
    # with its final report, a large one with where to follow it (0: left to the background loop, woken at once).
    # Well under the callers' RPC budget (2 s).
    job_wait_seconds: float = Field(
        default=0.5,
        ge=0,
        le=1.5,
        description="How long an upload or bulk grant request waits for its job before answering with its progress",
    )
    # « Activités » a page at a time: this many rows unless the client asks, never more than the maximum.
    list_page_size: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="Rows of a page of the activities list unless the client asks another size",
    )
    list_page_max: int = Field(
        default=200, ge=1, le=1000, description="Largest page size a client may ask for the activities list"
    )
