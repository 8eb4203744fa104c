"""Everything SendGrid: the Mail Send request, the transport, the signed Event Webhook."""
