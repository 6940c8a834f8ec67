"""The benchmark harness: `make bench` (bench/run.py), its bare baseline app and its database seeding."""
