"""`make bench`: load generators and set-up for scripts/bench.sh (127.0.0.1 only, bounded)."""
