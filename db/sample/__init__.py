"""The sample county (synthetic Fengdu) and the sample rosters."""
