"""The schedule store and the leader lease in SQL."""
