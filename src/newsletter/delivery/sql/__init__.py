"""The ledger, provider events, history and rate limits in SQL."""
