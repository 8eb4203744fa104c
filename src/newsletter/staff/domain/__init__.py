"""Staff rules: roles, password hashing, sign-in limits. No I/O."""
