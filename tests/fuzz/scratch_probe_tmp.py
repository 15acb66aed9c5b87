# temporary probe (deleted after use)
import asyncio, json
from contextlib import AsyncExitStack
import requests
from afas_shared.settings import LOCAL_ONLY_SECRET
from afas_shared.testing.fixtures import running
import importlib.util, pathlib
spec = importlib.util.spec_from_file_location("fz", pathlib.Path(__file__).parent / "test_public_openapi_fuzz.py")
fz = importlib.util.module_from_spec(spec); import sys; sys.modules["fz"] = fz; spec.loader.exec_module(fz)

PROBES = json.load(open("/tmp/fz_probes.json"))

async def test_probe(make_settings):
    async with AsyncExitStack() as stack:
        for service in fz.SERVICES:
            rt = await stack.enter_async_context(running(make_settings(service, **(fz.GATEWAY_OVERRIDES if service == "declaration" else {}))))
        base = await stack.enter_async_context(fz.serving(rt.create_app()))
        assert (await asyncio.to_thread(fz._http, "POST", f"{base}/api/v1/admin/demo", None, LOCAL_ONLY_SECRET, None, 90))[0] == 200
        await asyncio.to_thread(fz._demo_catalogue().load, fz._http, base)
        callers = {"partner": fz.Caller("p", fz.PARTNER, base), "agent": fz.Caller("a", fz.AGENT, base), "anon": fz.Caller("n", None, base), "provider": fz.Caller("k", fz.PROVIDER, base)}
        for c in callers.values():
            await asyncio.to_thread(c.ensure_session)
        known = await asyncio.to_thread(fz._known_identifiers, base, callers["agent"], callers["partner"])
        def run():
            for who, method, path, kw in PROBES:
                for k, v in known.items():
                    path = path.replace("{" + k + "}", str(v[0]))
                h = {**callers[who].headers(), **({"Content-Type": "text/csv"} if "import" in path else {})}; kw = {k: (v.encode() if isinstance(v, str) else v) for k, v in kw.items()}; r = requests.request(method, base + path, headers=h, timeout=30, **kw)
                print("PROBE", who, method, path, r.status_code, r.text[:3000])
        await asyncio.to_thread(run)
