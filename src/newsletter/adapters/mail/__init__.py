"""Mail transports: outbox (files), SMTP, SendGrid; each implements
newsletter.services.delivery_ports.Mailer."""
