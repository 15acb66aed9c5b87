from pydantic import Field
from pydantic_settings import SettingsConfigDict

from afas_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AFAS_NOTIFICATION_", extra="ignore")

    http_port: int = Field(default=8004, ge=1, le=65535)
