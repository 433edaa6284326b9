"""The ``rootwatch`` command: a thin layer over :mod:`rootwatch.api`."""
