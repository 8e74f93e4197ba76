"""培训档案核查 stored county-wide: archives, sheets, the re-check over everything stored, leads."""
