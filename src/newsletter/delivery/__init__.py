"""Delivery: the ledger, the send path, provider events, reports, transports."""
