#!/usr/bin/env python3
"""What judging a batch of root events costs: the root_activity query on an in-memory DuckDB table.

Batches of 1, 10, 100 and 500 events (the sample events of tests/fixtures/events, repeated with
fresh ids) go through the parts of ``EventProcessor.process`` side by side in one run, interleaved:
the row transform (the snapshot builder's), loading the table, the compiled query, and the whole
processing without a notifier (de-duplication, severity and the message included). Also the cold
start a Lambda instance or a command pays once: imports, the mod, compiling the query. Medians of
``--runs`` rounds::

    .venv/bin/python perf/events_batch.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "runner"))
FIXTURES = REPO / "tests" / "fixtures" / "events"
SIZES = (1, 10, 100, 500)


def sample_texts(count: int) -> list[str]:
    """``count`` events: the fixtures in turn, each with a fresh event id."""
    documents = [json.loads(line) for line in (FIXTURES / "root-api-burst.jsonl").read_text().splitlines() if line.strip()]
    documents += [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))]
    texts = []
    for index in range(count):
        document = json.loads(json.dumps(documents[index % len(documents)]))
        document["detail"]["eventID"] = str(uuid.uuid4())
        texts.append(json.dumps(document))
    return texts


def cold_start() -> float:
    code = ("import time; t = time.perf_counter(); from rootwatch import api; from rootwatch.events.evaluate import ActivityQuery; "
            "m = api.load_mod(); ActivityQuery(m, api.resolve_variables(m)); print(time.perf_counter() - t)")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env={"PYTHONPATH": str(REPO / "runner")}, check=True)
    return float(result.stdout.strip())


def main() -> int:
    from rootwatch import api
    from rootwatch.events.config import EventsConfig
    from rootwatch.events.evaluate import ActivityQuery
    from rootwatch.schema.tables import TRAIL_EVENT_TABLE
    from rootwatch.events.processor import EventProcessor
    from rootwatch.events.reading import parse_text
    from rootwatch.snapshot.loading import insert_columns, typed_batches

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    mod = api.load_mod(REPO)
    query = ActivityQuery(mod, api.resolve_variables(mod))
    batches = {size: sample_texts(size) for size in SIZES}
    timings: dict[tuple[int, str], list[float]] = {}

    def timed(size: int, part: str, action) -> object:  # noqa: ANN001
        began = time.perf_counter()
        result = action()
        timings.setdefault((size, part), []).append(time.perf_counter() - began)
        return result

    for _ in range(args.runs):
        for size, texts in batches.items():
            events = timed(size, "read", lambda t=texts: [e for text in t for e in parse_text(text, "perf").events])

            def load(events=events) -> None:  # noqa: ANN001
                query._connection.execute(f"DELETE FROM {TRAIL_EVENT_TABLE}")  # noqa: SLF001 - measuring the parts
                for names, cells in typed_batches(query._table, (e.row for e in events)):  # noqa: SLF001
                    insert_columns(query._connection, query._table, names, cells)  # noqa: SLF001

            timed(size, "load", load)
            timed(size, "query", lambda: query._connection.execute(query.sql).fetchall())  # noqa: SLF001
            processor = EventProcessor(query, EventsConfig(), {})
            timed(size, "process", lambda p=processor, e=events: p.process(e))
    print(f"cold start (imports, mod, compile, DuckDB table): {cold_start() * 1000:.0f} ms")
    print(f"{'events':>6}  {'read':>9}  {'load':>9}  {'query':>9}  {'process':>9}  {'per event':>10}")
    for size in SIZES:
        median = {part: statistics.median(timings[(size, part)]) * 1000 for part in ("read", "load", "query", "process")}
        print(f"{size:>6}  " + "  ".join(f"{median[p]:>6.1f} ms" for p in ("read", "load", "query", "process"))
              + f"  {(median['read'] + median['process']) / size:>7.2f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
