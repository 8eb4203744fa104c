"""Members, columns, privacy, segments, sign-up: pure rules, no I/O."""
