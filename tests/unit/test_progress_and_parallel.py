"""The progress bar stays on stderr and out of quick runs; parallel runs grade like serial ones."""

from __future__ import annotations

import io

from rootwatch.cli.progress import ProgressBar


def test_progress_bar_draws_then_clears() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, delay=0.0, width=10)
    bar(1, 4, "root_no_access_keys")
    bar(4, 4, "root_usage_monitored")
    text = stream.getvalue()
    assert "\r[##........] 1/4 root_no_access_keys" in text
    assert "\r[##########] 4/4 root_usage_monitored" in text
    assert text.endswith("\r")  # the last frame is wiped so the terminal is left clean


def test_quick_runs_draw_nothing() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, delay=60.0)
    bar(1, 2, "a")
    bar(2, 2, "b")
    assert stream.getvalue() == ""
