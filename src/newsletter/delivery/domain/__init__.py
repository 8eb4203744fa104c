"""Deliveries and provider events: pure, no I/O."""
