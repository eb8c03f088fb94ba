"""The console at /admin: server-rendered pages where a workspace's users connect Braze, publish,
test-send and watch (docs/console.md)."""
