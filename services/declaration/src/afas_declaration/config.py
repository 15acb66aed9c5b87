from pydantic import Field
from pydantic_settings import SettingsConfigDict

from afas_shared.settings import LOCAL_ONLY_SECRET, ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AFAS_DECLARATION_", extra="ignore")

    http_port: int = Field(
        default=8000,
        ge=1,
        le=65535,
        description="Public HTTP port of the gateway: the API /api/v1, the pages, static assets",
    )
    # Bootstrap credential for operator endpoints until user sessions exist (identity issue).
    admin_token: str = Field(
        default=LOCAL_ONLY_SECRET,
        min_length=16,
        description="Bootstrap credential of the operator endpoints (operator sessions are exchanged for it)",
    )
    # The key of the pages' CSRF tokens (HMAC of the session id): its own, so rotating the operator's secret leaves
    # every open page's token valid, and rotating this one only asks users to reload their pages.
    csrf_secret: str = Field(
        default=LOCAL_ONLY_SECRET,
        min_length=16,
        repr=False,
        description="Key of the pages' CSRF tokens (HMAC of the session id), distinct from the admin token",
    )
    status_timeout_seconds: float = Field(
        default=1.0, gt=0, le=10, description="How long the status page waits for each service's answer"
    )
    # Gateway rate limits, per session (or per address without one); login and resets per address
    rate_limit_per_second: float = Field(
        default=10.0, gt=0, description="Gateway requests per second allowed per session (per address without one)"
    )
    rate_limit_burst: int = Field(
        default=60, ge=1, description="Requests a session (or address) may make at once above its per-second rate"
    )
    login_rate_limit_per_minute: int = Field(
        default=20, ge=1, description="Login, activation and password reset attempts per minute per address"
    )
    # An Idempotency-Key whose request never finished (the gateway died) is free again after this long: more than
    # the longest request it guards (a transmit with its PDF), so a live request is never run twice.
    idempotency_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="An Idempotency-Key whose request never finished is free again after this long",
    )
    # Opened campaigns are revisited this often: an activity's missing expected declaration is created (and reported).
    reconcile_seconds: float = Field(
        default=300.0,
        gt=0,
        le=86400,
        description="How often opened campaigns are revisited to create missing expected declarations",
    )
    # PDF receipts are rendered by this many worker processes, never on the event loop (application.receipts).
    receipt_workers: int = Field(
        default=2, ge=1, le=32, description="Worker processes rendering PDF receipts (never on the event loop)"
    )
    # A download of a receipt still being rendered waits this long, then answers « en préparation » (503).
    receipt_wait_seconds: float = Field(
        default=5.0,
        ge=0,
        le=60,
        description="How long a receipt download waits for its rendering before answering « en préparation »",
    )
    # Receipts still to render (their process died before storing them) are looked for this often.
    receipt_reconcile_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How often receipts left unrendered (their process died) are looked for",
    )
    # A campaign opens as a background job: this many activities per batch, each batch one short set-based
    # transaction that locks no campaign (declarations inserted if absent: a registration never waits for a batch).
    campaign_opening_batch_size: int = Field(
        default=500, ge=1, le=10000, description="Activities per transaction when a campaign opens (background job)"
    )
    # Creating a campaign waits this long for its opening: a small one answers already opened, a large one answers
    # « en cours » with where to follow it (the job goes on in the background either way).
    campaign_opening_wait_seconds: float = Field(
        default=2.0,
        ge=0,
        le=30,
        description="How long creating a campaign waits for its opening before answering « en cours »",
    )
    # The lists (« Mes déclarations », the Caf's instruction queue) are read one page at a time: this many rows
    # unless the client asks for another page size, never more than the maximum.
    list_page_size: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="Rows of a page of the declaration lists unless the client asks another size",
    )
    list_page_max: int = Field(
        default=200, ge=1, le=1000, description="Largest page size a client may ask for the declaration lists"
    )
    # A Caf's list counts all its declarations (tens of thousands at national scale) for its total: counted on a
    # first page, the count is reused for this long by the next first pages, which then say « environ ».
    list_total_cache_seconds: float = Field(
        default=30,
        ge=0,
        le=600,
        description="How long the total of a Caf's declaration list is reused before it is counted again (0: every time)",
    )
    # Pièces justificatives (application.attachments): checked from their content, stored in JetStream's Object Store
    attachment_max_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        le=100 * 1024 * 1024,
        description="Largest supporting document (pièce justificative) accepted, in bytes (more: 413)",
    )
    attachment_types: list[str] = Field(
        default_factory=lambda: ["pdf", "png", "jpeg", "xlsx", "ods", "csv"],
        min_length=1,
        description="Kinds of supporting documents accepted, recognised from their content: pdf, png, jpeg, xlsx, "
        "ods, csv (another: 415)",
    )
    attachment_store_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        le=600,
        description="How long storing or reading one supporting document in the object store may take",
    )
    # An upload whose row was never written (its process died after storing the object) is removed after this long:
    # more than the longest upload, so a file still being stored is never taken for an orphan.
    attachment_orphan_grace_seconds: float = Field(
        default=3600.0,
        gt=0,
        le=7 * 86400,
        description="Age after which a stored object without its declaration row (an upload cut short) is removed",
    )
    attachment_sweep_seconds: float = Field(
        default=900.0,
        gt=0,
        le=86400,
        description="How often objects left by uploads cut short are looked for and removed",
    )
