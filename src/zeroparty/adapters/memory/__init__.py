"""In-memory twins of the storage ports, for tests that run the real delivery engine and capture
service in milliseconds: `MemoryOutbox` (the engine's `Outbox`) and `MemoryCaptureStore`
(capture's `CaptureStore`, feeding the outbox), `deliveries.MemoryDeliveries` (delivery's
operator view over the outbox) and `destinations.MemoryDestinations` (the destinations as
operators manage them). Each keeps the semantics of its SQL adapter, checked
by one contract suite run against SQLite, PostgreSQL and memory. No I/O library is imported here."""

from zeroparty.adapters.memory.capture import MemoryCaptureStore
from zeroparty.adapters.memory.outbox import MemoryOutbox

__all__ = ["MemoryCaptureStore", "MemoryOutbox"]
