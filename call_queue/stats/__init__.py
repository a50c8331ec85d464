"""Statistics: the measures, their SQL, the report, its export, and the check against queue_log."""
