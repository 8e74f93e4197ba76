"""Accounts: passwords and logins, account administration, login tokens, single sign-on, database roles."""
