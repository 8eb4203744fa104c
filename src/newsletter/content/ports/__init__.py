"""The catalog and the store of campaigns written in the browser."""
