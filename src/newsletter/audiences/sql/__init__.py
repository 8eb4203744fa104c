"""Members, imports, segments and preferences in SQL."""
