"""The Platform API conformance checker: does a platform implement ``docs/platform-api.md``?

``run_checks`` (``runner.py``) calls every endpoint a platform announces, validates each answer
against the JSON Schemas, proves the cursors stable while records change, asks for a signed test
webhook and verifies it, checks that a repeated checkout is idempotent, and times every call. The
``platform_check`` management command prints its ``Report``.
"""
