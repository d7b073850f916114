"""A local stand-in for the SparkLayer API (contract §2), served over real HTTP on loopback."""
