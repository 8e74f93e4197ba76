"""The audit trail and what it protects: recording, labels, search, and personal-data reveal/purge."""
