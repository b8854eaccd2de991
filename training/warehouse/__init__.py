"""Warehouse access: engine, identifier checks, daily partitions, loading and trainguard's tables."""
