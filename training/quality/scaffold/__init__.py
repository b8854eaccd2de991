"""Suite scaffolding: profile a reference window of any table, derive a reviewable suite."""
