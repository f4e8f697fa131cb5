from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command

from backoffice.marketer import MARKETER_GROUP, marketer_group_sync

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin/",
    "/admin/dashboard/",
    "/admin/caps/",
    "/admin/charts/intake/",
    "/admin/ingest/intakeevent/",
    "/admin/ingest/intakeevent/export.csv",
    "/admin/imports/contactimport/",
    "/admin/imports/contactimport/add/",
    "/admin/sources/source/",
    "/admin/sources/source/add/",
    "/admin/campaigns/campaign/",
    "/admin/campaigns/campaign/add/",
    "/admin/finance/cap/",
    "/admin/subscriptions/callbackendpoint/",
    "/admin/subscriptions/callbackdelivery/",
]


def codenames(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_migrate_creates_the_marketer_group_with_its_permissions():
    granted = codenames(Group.objects.get(name=MARKETER_GROUP))

    assert {
        "sources.change_source",
        "sources.add_sourcecampaign",
        "campaigns.change_campaignfield",
        "finance.change_cap",
        "ingest.view_intakeevent",
        "ingest.export_intakeevent",
        "imports.add_contactimport",
        "subscriptions.change_callbackdelivery",
    } <= granted
    assert "ingest.change_intakeevent" not in granted
    assert "finance.delete_ledgerentry" not in granted
    assert not any(name.startswith("auth.") for name in granted)


def test_a_sync_puts_the_permissions_back_to_the_list(capsys):
    group = Group.objects.get(name=MARKETER_GROUP)
    group.permissions.add(Permission.objects.get(codename="delete_user"))
    group.permissions.remove(Permission.objects.get(codename="view_intakeevent"))

    call_command("sync_marketer_group")

    assert "delete_user" not in {p.codename for p in group.permissions.all()}
    assert "view_intakeevent" in {p.codename for p in group.permissions.all()}
    assert f'Group "{MARKETER_GROUP}" has' in capsys.readouterr().out
    assert marketer_group_sync().pk == group.pk


@pytest.mark.parametrize("url", PAGES)
def test_a_marketer_reaches_every_page(marketer_client, url):
    assert marketer_client.get(url).status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_non_staff_users_reach_none_of_them(client, url):
    client.force_login(User.objects.create_user("vendor", password="x"))

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
