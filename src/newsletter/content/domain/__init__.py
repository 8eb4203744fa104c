"""Campaign definitions and typed announcements: pure, no I/O."""
