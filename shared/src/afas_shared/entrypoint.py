"""``python -m afas_<service>``: read settings (one clear line on error), then serve HTTP."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn

from afas_shared.runtime import ServiceRuntime
from afas_shared.settings import ServiceSettings, load_or_exit


def serve(settings_cls: type[ServiceSettings], build: Callable[[ServiceSettings], ServiceRuntime]) -> None:
    settings = load_or_exit(settings_cls)
    runtime = build(settings)
    app = runtime.create_app()
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False)
