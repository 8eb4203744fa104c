"""The staff store in SQL."""
