"""Controls compile on worker threads: the translation must not depend on which thread was first."""

from __future__ import annotations

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

    loaded = sorted(m for m in sys.modules if m in ("sqlglot.dialects.duckdb", "sqlglot.dialects.postgres"))
    assert loaded == ["sqlglot.dialects.duckdb", "sqlglot.dialects.postgres"], loaded
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
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(repo)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
