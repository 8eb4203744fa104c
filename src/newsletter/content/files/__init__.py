"""The project's files, campaign YAML and email screenshots."""
