# SPDX-License-Identifier: MIT
"""computedb_client: the NI Compute validator's database functions over
computedb's signed REST API, as a drop-in for the upstream modules.

    from computedb_client import ComputeDb, select_miners, get_pog_specs
    db = ComputeDb()                      # $COMPUTEDB_URL, $COMPUTEDB_KEY
    db = ComputeDb(url, signer=wallet.hotkey)
    miners = select_miners(db)            # {uid: hotkey}

The upstream import paths have twins: computedb_client.db (ComputeDb),
.miner, .challenge, .allocate, .pog and .wandb_runs. Errors raise
computedb_client.errors.ComputeDbError subclasses.
"""
from .auth import Ed25519Signer, ss58_address
from . import functions
from .client import ComputeDb
from .errors import (AuthError, ComputeDbError, ConflictError,
                     ForbiddenError, InvalidError, NotFoundError,
                     RateLimitedError, UnavailableError)
from .functions import (get_miner_details, get_pog_specs, get_run_id,
                        purge_miner_entries, retrieve_stats, save_run_id,
                        select_allocate_miners_hotkey,
                        select_challenge_stats,
                        select_has_docker_miners_hotkey, select_miners,
                        set_default_db, sync_miners, update_allocation_db,
                        update_blacklist_db, update_challenge_details,
                        update_miner_details, update_miners,
                        update_pog_stats, write_stats)

__version__ = "0.1.0"

__all__ = [
    "ComputeDb", "Ed25519Signer", "ss58_address",
    "ComputeDbError", "AuthError", "ForbiddenError", "InvalidError",
    "NotFoundError", "ConflictError", "UnavailableError", "RateLimitedError",
] + functions.__all__
