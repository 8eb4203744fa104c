"""Use cases: orchestrate the pure core and the ports. No vendor library is imported here."""
