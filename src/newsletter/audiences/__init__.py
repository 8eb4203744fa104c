"""Audiences: members, consent, segments, imports, preferences, sign-up."""
