"""maestro."""
