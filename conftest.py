"""The one place test fixtures come from (see afas_shared.testing.fixtures)."""

import os
import sys
import tempfile
from pathlib import Path

# An environment that asks Python not to write bytecode (PYTHONDONTWRITEBYTECODE, as container images often do) made
# every process the tests start compile each module it imports from source: each declaration service's receipt worker,
# the fault drills' and startup tests' service processes (importing declaration's bootstrap: 6.2 s of CPU from source,
# 2.7 s from bytecode). The tests keep their bytecode in a cache of their own, outside the tree, which this run and
# the processes it starts fill and read; the sources and the virtualenv stay free of .pyc files as asked.
if sys.flags.dont_write_bytecode and not sys.pycache_prefix:
    _cache = str(Path(tempfile.gettempdir()) / f"afas-test-pycache-{os.getuid()}")
    sys.pycache_prefix = os.environ["PYTHONPYCACHEPREFIX"] = _cache
    sys.dont_write_bytecode = False
    # processes started with this environment write there too (multiprocessing's children, started with -B, read it)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

pytest_plugins = ["afas_shared.testing.fixtures"]
