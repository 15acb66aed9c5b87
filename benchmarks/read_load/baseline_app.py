"""The same run's baselines, served as the gateway is (uvicorn, the gateway's worker count): a bare FastAPI hello,
and FastAPI answering one SQL query (one declaration's row by its id) on the gateway's own database."""

from __future__ import annotations

import os

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

app = FastAPI()
engine = create_async_engine(os.environ["AFAS_BENCH_DATABASE_URL"], pool_size=10)
ONE_ROW = sa.text("SELECT id, state, version FROM declaration WHERE id = :id")


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"bonjour": "le monde"}


@app.get("/one-query")
async def one_query() -> dict[str, str | int]:
    async with engine.connect() as connection:
        row = (await connection.execute(ONE_ROW, {"id": os.environ["AFAS_BENCH_DECLARATION_ID"]})).one()
    return {"id": str(row.id), "etat": row.state, "version": row.version}
