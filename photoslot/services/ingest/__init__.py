"""The booth's ingest: the upload accepted in the documented order, then one job within T_sync."""
