"""Authoring rules: pure, no I/O."""
