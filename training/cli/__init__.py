"""The ``trainguard`` command line (entry point: ``training.cli.main:main``)."""
