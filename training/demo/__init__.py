"""The demo: a seeded ride-hailing ``trips`` table, skew injection and an end-to-end run."""
