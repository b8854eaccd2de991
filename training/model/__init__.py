"""Training, the model store, the registry and promotion."""
