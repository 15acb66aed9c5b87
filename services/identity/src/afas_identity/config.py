from pydantic import Field
from pydantic_settings import SettingsConfigDict

from afas_shared.settings import LOCAL_ONLY_SECRET, ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AFAS_IDENTITY_", extra="ignore")

    http_port: int = Field(
        default=8001,
        ge=1,
        le=65535,
        description="Public HTTP port (health and readiness; /internal and /metrics on the internal port)",
    )
    public_url: str = Field(default="http://127.0.0.1:8000", description="Base of the links sent by mail")
    session_idle_minutes: int = Field(default=30, ge=1, le=240, description="A session unused for this long is closed")
    session_max_hours: int = Field(
        default=12, ge=1, le=72, description="A session ends this long after its login, used or not"
    )
    activation_link_hours: int = Field(
        default=72, ge=1, le=720, description="Validity of the account activation link sent by mail"
    )
    reset_link_minutes: int = Field(
        default=60, ge=5, le=1440, description="Validity of the password reset link sent by mail"
    )
    # Failed logins from one address (any identifier) before it is locked: far above the per-identifier 5, so one
    # mistyped identifier never locks out an office behind one NAT
    login_address_max_failures: int = Field(
        default=100,
        ge=5,
        le=100_000,
        description="Failed logins from one address (any identifier) before the address is locked out",
    )
    # The operator's bootstrap secret, exchanged here for a short signed token (the gateway's admin token)
    operator_token: str = Field(
        default=LOCAL_ONLY_SECRET,
        min_length=16,
        description="The operator's bootstrap secret, exchanged for a short signed token (the gateway's admin token)",
    )
    # argon2id's cost for new hashes (default: OWASP's minimum, 19 MiB, 2 passes, 1 lane). The floors are OWASP's
    # weakest equivalent (7 MiB with 5 passes). A hash made with other values is stored again at its next login.
    password_memory_kib: int = Field(
        default=19 * 1024,
        ge=7 * 1024,
        le=4 * 1024 * 1024,
        description="argon2id memory cost of new password hashes, in KiB",
    )
    password_time_cost: int = Field(default=2, ge=1, le=20, description="argon2id passes of new password hashes")
    password_parallelism: int = Field(default=1, ge=1, le=16, description="argon2id lanes of new password hashes")
