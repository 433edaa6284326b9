"""Helpers the tests share, imported as ``helpers.<module>`` (tests/ is on sys.path through its
conftest.py): small mods written into a test's own directory (:mod:`helpers.mods`) and snapshots
built or read there (:mod:`helpers.snapshots`)."""
