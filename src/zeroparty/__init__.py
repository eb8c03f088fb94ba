"""zeroparty: interactive experiences that stream first-party data into Braze."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("zeroparty")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

USER_AGENT = f"partner-zeroparty-zeroparty/{__version__}"
