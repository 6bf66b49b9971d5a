# SPDX-License-Identifier: MIT
"""Twin of upstream neurons/Validator/database/miner.py."""
from .functions import (purge_miner_entries, select_miners, sync_miners,
                        update_miners)

__all__ = ["select_miners", "update_miners", "purge_miner_entries",
           "sync_miners"]
