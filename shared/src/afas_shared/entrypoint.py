"""``python -m afas_<service>``: read settings (one clear line on error), then serve HTTP."""

from __future__ import annotations

import sys
from collections.abc import Callable

import uvicorn

from afas_shared.runtime import ServiceRuntime
from afas_shared.settings import ServiceSettings, load_or_exit


def serve(settings_cls: type[ServiceSettings], build: Callable[[ServiceSettings], ServiceRuntime]) -> None:
    settings = load_or_exit(settings_cls)
    try:
        runtime = build(settings)
    except ValueError as exc:  # a setting that is well-formed but unacceptable (e.g. a default secret)
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    app = runtime.create_app()
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
