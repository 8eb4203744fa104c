"""Calendar revisions in SQL."""
