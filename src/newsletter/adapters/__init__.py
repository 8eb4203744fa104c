"""I/O adapters, one vendor per module. Each translates its vendor's errors into errors.py."""
