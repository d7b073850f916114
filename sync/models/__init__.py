from sync.models.issue_history import IssueAction, SyncIssueChange
from sync.models.jobs import JobKind, JobPhase, JobState, SyncJob, TriggerSource
from sync.models.records import IssueState, PushLog, RecordState, SyncIssue
from sync.models.security import WebhookVerificationFailure
from sync.models.webhooks import EventOutcome, EventState, WebhookEvent, WebhookEventAttempt

__all__ = [
    "EventOutcome",
    "EventState",
    "IssueAction",
    "IssueState",
    "JobKind",
    "JobPhase",
    "JobState",
    "PushLog",
    "RecordState",
    "SyncIssue",
    "SyncIssueChange",
    "SyncJob",
    "TriggerSource",
    "WebhookEvent",
    "WebhookEventAttempt",
    "WebhookVerificationFailure",
]
