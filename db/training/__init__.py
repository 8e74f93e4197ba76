"""培训档案核查 stored county-wide: uploads, storing and the re-check, sheets, leads, their evidence and export."""
