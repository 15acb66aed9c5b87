from pydantic import Field
from pydantic_settings import SettingsConfigDict

from afas_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AFAS_HABILITATION_", extra="ignore")

    http_port: int = Field(default=8002, ge=1, le=65535)
    # A CSV import of activities is a background job: this many of the file's records per batch, each batch one
    # transaction (its activities, their events, the job's progress).
    import_batch_size: int = Field(default=500, ge=1, le=10000)
    # A grant over more activities than this is a background job (202, its progress followed); up to it, the grant
    # answers its lines at once, all or nothing, as before.
    grant_job_threshold: int = Field(default=100, ge=1, le=10000)
    grant_batch_size: int = Field(default=500, ge=1, le=10000)
    # The request completing an upload (or starting a bulk grant) waits this long for its job: a small one answers
    # with its final report, a large one with where to follow it (0: left to the background loop, woken at once).
    # Well under the callers' RPC budget (2 s).
    job_wait_seconds: float = Field(default=0.5, ge=0, le=1.5)
    # « Activités » a page at a time: this many rows unless the client asks, never more than the maximum.
    list_page_size: int = Field(default=50, ge=1, le=1000)
    list_page_max: int = Field(default=200, ge=1, le=1000)
