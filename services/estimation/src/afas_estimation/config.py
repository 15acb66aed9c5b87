from pydantic import Field
from pydantic_settings import SettingsConfigDict

from afas_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AFAS_ESTIMATION_", extra="ignore")

    http_port: int = Field(
        default=8003,
        ge=1,
        le=65535,
        description="Public HTTP port (health and readiness; /internal and /metrics on the internal port)",
    )
    # Declarations re-estimated per transaction after a barème change (one barème resolution per batch).
    reestimation_batch_size: int = Field(
        default=500, ge=1, le=10000, description="Declarations re-estimated per transaction after a barème change"
    )
