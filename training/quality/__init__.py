"""Data and model quality: the GX context, custom expectations, checkpoint runs and Data Docs."""
