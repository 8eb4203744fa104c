"""What goes out when: schedule rules, reminders, recurrence, sending days. No I/O."""
