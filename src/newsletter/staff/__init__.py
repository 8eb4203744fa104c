"""Staff accounts, sign-in and sessions."""
