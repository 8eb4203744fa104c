"""The authoring capability's SQL adapters."""
