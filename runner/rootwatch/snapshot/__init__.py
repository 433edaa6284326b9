"""Snapshots: DuckDB files holding the Steampipe tables the mod reads, plus rootwatch metadata."""
