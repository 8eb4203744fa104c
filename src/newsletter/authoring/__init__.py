"""Writing campaigns: the staff's campaign form, campaign documents, approval."""
