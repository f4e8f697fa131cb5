"""Abstract model pieces shared by apps (no concrete models live here)."""

from __future__ import annotations

from datetime import datetime

from django.db import models


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class PublishState(models.TextChoices):
    PUBLISHED = "published", "Published"
    UNPUBLISHED = "unpublished", "Unpublished"
    PENDING = "pending", "Not yet published (before publish-up)"
    EXPIRED = "expired", "No longer published (after publish-down)"


class PublishableModel(models.Model):
    """A published flag and an optional window, both enforced (the anchor ignored the dates)."""

    is_published = models.BooleanField("published", default=True)
    publish_up = models.DateTimeField(null=True, blank=True)
    publish_down = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def publish_state(self, now: datetime) -> PublishState:
        if not self.is_published:
            return PublishState.UNPUBLISHED
        if self.publish_up is not None and now < self.publish_up:
            return PublishState.PENDING
        if self.publish_down is not None and now >= self.publish_down:
            return PublishState.EXPIRED
        return PublishState.PUBLISHED
