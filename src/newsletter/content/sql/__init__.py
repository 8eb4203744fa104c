"""Stored campaigns and calendar revisions in SQL."""
