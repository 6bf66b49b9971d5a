# SPDX-License-Identifier: MIT
"""Twin of upstream neurons/Validator/database/allocate.py."""
from .functions import (get_miner_details, select_allocate_miners_hotkey,
                        select_has_docker_miners_hotkey, update_allocation_db,
                        update_blacklist_db, update_miner_details)

__all__ = ["select_has_docker_miners_hotkey", "select_allocate_miners_hotkey",
           "update_miner_details", "get_miner_details",
           "update_allocation_db", "update_blacklist_db"]
