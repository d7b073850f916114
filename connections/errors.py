"""Why a connection service refused or could not finish; the endpoints map each to an HTTP answer."""

from __future__ import annotations


class ConnectionServiceError(Exception):
    """Base: ``message`` is safe to show to the caller (never a secret)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ConnectInputInvalid(ConnectionServiceError):
    """Input the serializer cannot judge alone (unknown platform, half a credential pair, unsafe URL) → 400."""


class SparkLayerCredentialsRefused(ConnectionServiceError):
    """SparkLayer would not issue a token for the client id/secret → 400."""


class PlatformCredentialsRefused(ConnectionServiceError):
    """The store refused the platform credentials on the cheap check call → 400."""


class UpstreamUnavailable(ConnectionServiceError):
    """SparkLayer or the store could not be reached (or answered 5xx); ``timed_out`` picks 504 over 502."""

    def __init__(self, message: str, *, service: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.service = service
        self.timed_out = timed_out


class InstallCallbackInvalid(ConnectionServiceError):
    """The install callback's body is not what the platform sends → 400; nothing changes."""


class InstallStateInvalid(ConnectionServiceError):
    """The install callback carries a forged, used or expired state token, or the connection is not pending → 403."""


class WebhookRegistrationFailed(ConnectionServiceError):
    """The store refused or failed the webhook registration; recorded on the connection's ``state_reason``."""
