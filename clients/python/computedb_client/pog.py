# SPDX-License-Identifier: MIT
"""Twin of upstream neurons/Validator/database/pog.py."""
from .functions import (get_pog_specs, retrieve_stats, update_pog_stats,
                        write_stats)

__all__ = ["update_pog_stats", "get_pog_specs", "write_stats",
           "retrieve_stats"]
