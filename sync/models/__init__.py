from sync.models.audits import (
    ACTIVE_AUDIT_STATES,
    AuditFinding,
    AuditPhase,
    AuditRun,
    AuditScope,
    AuditState,
    Belief,
    FindingKind,
    FindingState,
)
from sync.models.issue_history import IssueAction, SyncIssueChange
from sync.models.jobs import JobKind, JobPhase, JobState, SyncJob, TriggerSource
from sync.models.records import IssueState, PushLog, RecordState, SyncIssue
from sync.models.security import WebhookVerificationFailure
from sync.models.webhooks import EventOutcome, EventState, WebhookEvent, WebhookEventAttempt

__all__ = [
    "ACTIVE_AUDIT_STATES",
    "AuditFinding",
    "AuditPhase",
    "AuditRun",
    "AuditScope",
    "AuditState",
    "Belief",
    "EventOutcome",
    "EventState",
    "FindingKind",
    "FindingState",
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
