"""Benchmarks, outside the product package: page query timings, sends, the webhook receiver and the loader."""
