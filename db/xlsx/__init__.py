"""Spreadsheets in and out: safe reading of uploads, styled sheets, print-ready exports and the circular."""
