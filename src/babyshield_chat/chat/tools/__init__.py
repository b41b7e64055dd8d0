"""chat/tools package."""
