"""The campaign form: fields from the content models, posted values, problems."""
