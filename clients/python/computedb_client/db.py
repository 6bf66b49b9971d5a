# SPDX-License-Identifier: MIT
"""Twin of upstream compute/utils/db.py: `from computedb_client.db import
ComputeDb`."""
from .client import ComputeDb

__all__ = ["ComputeDb"]
