"""recalls package."""
