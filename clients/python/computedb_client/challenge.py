# SPDX-License-Identifier: MIT
"""Twin of upstream neurons/Validator/database/challenge.py."""
from .functions import select_challenge_stats, update_challenge_details

__all__ = ["select_challenge_stats", "update_challenge_details"]
