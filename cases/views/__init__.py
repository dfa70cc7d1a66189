"""Pages of the cases app: case list and page, case and event forms, the import upload."""
