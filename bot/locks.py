"""The PostgreSQL advisory lock keys the bot takes (one 64-bit number each).

Fixed numbers, not hashes of names: an operator can find them in `pg_locks` (`objid` holds the
low 32 bits) and they never change between versions. Other applications sharing the database
would have to pick the same numbers by chance.
"""

from __future__ import annotations

from typing import Final

# Held by the one instance that leads: it polls Telegram (polling mode) and runs the scheduled
# jobs (both modes), for as long as its connection lives (`app.leadership`).
LEADER: Final = 0x4B4C_0001  # "KL" 1
# Held while the schema is migrated, so replicas starting together migrate one after another.
MIGRATIONS: Final = 0x4B4C_0002  # "KL" 2
