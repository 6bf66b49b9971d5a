# SPDX-License-Identifier: MIT
"""The run-id helpers of upstream ComputeWandb (compute/wandb/wandb.py) as
functions of the db: self.get_run_id(hotkey) becomes get_run_id(db,
hotkey), self.save_run_id(hotkey, run_id) save_run_id(db, hotkey, run_id)."""
from .functions import get_run_id, save_run_id

__all__ = ["get_run_id", "save_run_id"]
