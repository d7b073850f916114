"""The customer requests SparkLayer makes while a buyer waits (docs/ignite-contract.md §1.5 to §1.8): their
state and services. The HTTP views that serve them are in ``endpoints/``; the platform calls in the
platform adapters."""
