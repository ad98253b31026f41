# Benchmarks (not tests): `make bench`.  Being written.
