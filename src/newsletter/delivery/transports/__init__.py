"""Mail transports: outbox (files), SMTP, SendGrid; each implements
newsletter.delivery.ports.Mailer."""
