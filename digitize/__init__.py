"""digitize: read handwritten numbers off scanned pages and forms into CSV."""
from __future__ import annotations

__version__ = "0.1.0"
