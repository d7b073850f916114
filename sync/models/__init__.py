from sync.models.jobs import JobKind, JobState, SyncJob, TriggerSource
from sync.models.records import IssueState, PushLog, RecordState, SyncIssue
from sync.models.webhooks import EventState, WebhookEvent, WebhookEventAttempt

__all__ = [
    "EventState",
    "IssueState",
    "JobKind",
    "JobState",
    "PushLog",
    "RecordState",
    "SyncIssue",
    "SyncJob",
    "TriggerSource",
    "WebhookEvent",
    "WebhookEventAttempt",
]
