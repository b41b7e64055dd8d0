"""BabyShield Chat: the service behind the app's "ask about this product" chat."""

__version__ = "0.1.0"
