"""Controls compile on worker threads: the translation must not depend on which thread was first."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

# Run in a fresh interpreter: the race is in sqlglot's lazy import of a dialect's module, which an
# earlier test in this process would already have done.
SCRIPT = textwrap.dedent(
    """
    import sys
    from concurrent.futures import ThreadPoolExecutor
    from datetime import datetime, timezone
    from pathlib import Path

    import rootwatch.sql.compile as compiler
    from rootwatch import api

    # Importing the compiler loads no sqlglot (a cached run needs none); the first cold
    # compilation loads both dialects, under a lock, whichever thread gets there first.
    assert "sqlglot" not in sys.modules
    mod = api.load_mod(Path(sys.argv[1]))
    values = api.resolve_variables(mod)
    sources = [control.source for control in mod.controls.values()]
    as_of = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with ThreadPoolExecutor(len(sources)) as pool:
        threaded = list(pool.map(lambda s: compiler.compile_sql(s, "duckdb", values, as_of), sources))
    compiler._compile_cached.cache_clear()
    alone = [compiler.compile_sql(s, "duckdb", values, as_of) for s in sources]
    assert threaded == alone, [s.name for s, a, b in zip(sources, alone, threaded) if a != b]
    """
)


def test_dialects_are_loaded_before_any_thread_compiles(repo: Path) -> None:
    # Nothing from the on-disk compile cache: every thread compiles cold.
    env = {**os.environ, "ROOTWATCH_NO_SQL_CACHE": "1"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(repo)], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
