"""Pure rendering: template text in, email parts out. No database, no settings, no clock."""
