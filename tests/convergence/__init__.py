"""The randomized convergence harness: a seeded random walk of store changes and faults against both
sandboxes and a real Celery worker, then a field-for-field comparison of SparkLayer with the store.

``docs/convergence-testing.md`` explains the fault model and the expected semantics;
``test_convergence.py`` runs a fixed set of seeds and ``bench/convergence.py`` runs many.
"""
