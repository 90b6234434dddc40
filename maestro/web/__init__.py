"""The web chat page served by `maestro serve`."""
