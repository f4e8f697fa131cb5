"""The "marketer" group: the permissions a marketer needs for the admin (docs/admin.md).

Kept in code and synced after every `migrate` (post_migrate, see backoffice/apps.py), not
in a data migration: Django creates permissions only after all migrations have run, so a data
migration on a fresh database would find none to grant. `manage.py sync_marketer_group` runs the
same sync by hand. The group's permissions are set to exactly this list on each sync.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

MARKETER_GROUP = "marketer"
ALL = ("view", "add", "change", "delete")
# Day-to-day work without deletes: removing a source, campaign or endpoint (and an endpoint's
# delivery log with it) is kept to those given the delete permission (docs/admin.md).
EDIT = ("view", "add", "change")

# "app_label.model": actions. Models of an app that is not installed (yet) are skipped.
MARKETER_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "sources.source": EDIT,
    "sources.sourcecampaign": ALL,
    "sources.sourcechange": ("view",),
    "campaigns.campaign": EDIT,
    "campaigns.campaignfield": ALL,
    "finance.cap": ALL,
    "finance.ledgerentry": ("view",),
    "subscriptions.person": ("view",),
    "subscriptions.subscription": ("view",),
    # Not its signing secret (manage_endpoint_secret) nor person-API keys (use_person_api).
    "subscriptions.callbackendpoint": EDIT,
    # Replaying a dead delivery is a change to it.
    "subscriptions.callbackdelivery": ("view", "change"),
    "ingest.contact": ("view",),
    "ingest.intakeevent": ("view", "export"),
    # Returns: make them, and approve or reject those held for review; conversions: report.
    "feedback.returnpolicy": EDIT,
    "feedback.contactreturn": EDIT,
    "feedback.conversion": ("view", "add"),
    "imports.contactimport": ("view", "add", "delete"),
    "imports.contactimportproblem": ("view",),
}


def marketer_permissions() -> list[Permission]:
    wanted = Q(pk__in=[])
    for label, actions in MARKETER_PERMISSIONS.items():
        app_label, model = label.split(".")
        codenames = [f"{action}_{model}" for action in actions]
        wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
    return list(Permission.objects.filter(wanted).order_by("pk"))


@transaction.atomic
def marketer_group_sync(*, using: str = "default") -> Group:
    """Create the group if needed and give it exactly MARKETER_PERMISSIONS."""
    app_labels = {label.split(".")[0] for label in MARKETER_PERMISSIONS}
    for app_label in sorted(app_labels):
        if global_apps.is_installed(app_label):
            # Permissions appear in post_migrate handlers, possibly after this one: make sure.
            create_permissions(global_apps.get_app_config(app_label), verbosity=0, using=using)
    group, _created = Group.objects.using(using).get_or_create(name=MARKETER_GROUP)
    group.permissions.set(marketer_permissions())
    return group
