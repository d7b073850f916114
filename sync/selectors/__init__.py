"""Reads for the console and the API: health, dashboard, timeline, audits, entities, security.

Selectors only read; what they show is written by the services of the other packages.
"""
