"""Mail transports: outbox (files), SMTP, SendGrid. Each implements services.ports.Mailer."""
