"""Benchmarks for kb: indexing, query latency against a bare floor, memory and cold start."""
