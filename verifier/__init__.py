"""Certificate verification against the national query platform.

This package never imports `db` or `dashboard`: it is a service that can run on another machine.
"""
