"""The benchmark suite: `make bench` runs it and writes docs/benchmarks.md."""
