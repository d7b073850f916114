"""A local stand-in for the SparkLayer API (docs/ignite-contract.md §2), served over real HTTP on loopback."""
