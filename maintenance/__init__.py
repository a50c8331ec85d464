"""Maintenance of the system of record: backups, restores and the retention purge.

`hotline backup` / `hotline restore` (maintenance.backup, maintenance.restore) and
`hotline purge` (maintenance.purge, periods in maintenance/retention.ini).
"""
