"""Celery beat's schedule (settings.CELERY_BEAT_SCHEDULE): every periodic task, and why."""

from __future__ import annotations


def beat_schedule(
    *, callback_sweep_seconds: float, returns_digest_seconds: float
) -> dict[str, dict[str, object]]:
    def every(seconds: float, task: str, **extra: object) -> dict[str, object]:
        return {"task": task, "schedule": seconds, **extra}

    return {
        # CSV imports whose task was lost resume where their last chunk committed.
        "contact-imports-resume": every(60.0, "ingest.tasks.contact_imports_resume"),
        # The hourly intake stats behind the admin's charts.
        "intake-stats-roll-up": every(60.0, "ingest.tasks.intake_stats_roll_up"),
        # Source API-change notifications: retries and any whose task was lost (the row is the
        # truth).
        "source-changes-notify-due": every(60.0, "sources.tasks.source_changes_notify_due"),
        # Returned contacts' emails: one digest per source this often (their webhooks go out at
        # once).
        "source-returns-digest": every(
            returns_digest_seconds, "sources.tasks.source_returns_digest"
        ),
        # Cap counter rows no window counts any more (rolling buckets; calendar windows after
        # 400 days).
        "cap-counters-prune": every(3600.0, "finance.tasks.cap_counters_prune"),
        # CRM callbacks: retries and deliveries whose task was lost (the outbox row is the truth).
        "callbacks-sweep": every(
            callback_sweep_seconds,
            "subscriptions.tasks.callbacks_sweep",
            options={"expires": callback_sweep_seconds},
        ),
    }
