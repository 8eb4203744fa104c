"""The stores the audience use cases need."""
