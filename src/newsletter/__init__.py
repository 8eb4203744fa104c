"""newsletter: member communication for the Balkan & Black Sea Cluster Network.

Members in, segments evaluated in SQL, announcements rendered once per language variant
(Jinja2 -> MJML -> HTML + plain text), sent through an outbox, SMTP or SendGrid with a
per-recipient ledger, and followed by reminders tied to the announcement's deadlines.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
