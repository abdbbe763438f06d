"""Exchange replay server: recorded real responses at the exchanges' own URL paths."""

from refdata.replay.app import create_app
from refdata.replay.faults import Fault, FaultKind
from refdata.replay.server import ReplayServer
from refdata.replay.state import ReplayState

__all__ = ["Fault", "FaultKind", "ReplayServer", "ReplayState", "create_app"]
