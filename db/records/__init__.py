"""Write services for what staff record: monthly tables, inspections, findings, tips, reports, verification results."""
