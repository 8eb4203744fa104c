"""Scheduling: the schedule, reminders, recurring sends, dispatch, the leader process."""
