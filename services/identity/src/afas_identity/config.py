from pydantic import Field
from pydantic_settings import SettingsConfigDict

from afas_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AFAS_IDENTITY_", extra="ignore")

    http_port: int = Field(default=8001, ge=1, le=65535)
