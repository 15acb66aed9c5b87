from afas_shared.db.engine import Database, async_url, backend_name, sync_url

__all__ = ["Database", "async_url", "backend_name", "sync_url"]
