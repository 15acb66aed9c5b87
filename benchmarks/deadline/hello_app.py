"""The baseline: a bare FastAPI endpoint, served the way the services are (one uvicorn process)."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"bonjour": "le monde"}
