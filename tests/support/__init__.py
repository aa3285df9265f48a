"""Helpers shared by the tests and the benchmarks.

bench/ may import these; tests never import bench/ (tests/test_layers.py checks it).
"""
