"""Benchmarks and evaluation scripts, runnable from the repository root."""
