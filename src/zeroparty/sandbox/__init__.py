"""A Braze-compatible sandbox: Braze's user-data REST API, rules and answers, served locally."""

from zeroparty.sandbox.config import ALL_PERMISSIONS, SandboxConfig
from zeroparty.sandbox.http import create_sandbox_app

__all__ = ["ALL_PERMISSIONS", "SandboxConfig", "create_sandbox_app"]
