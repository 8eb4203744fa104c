"""Member files in and out: CSV, XLSX, uploads, the forked reader."""
