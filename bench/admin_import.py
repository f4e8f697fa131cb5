"""The admin with a million intake events, and a 100,000-row CSV import in constant memory.

Admin: `manage.py generate_events` fills the log (issue 6's command), then each page is fetched
through gunicorn with a staff session: one warm-up, then five timed requests, one at a time.

Import: the same CSV shape at 10,000 and at 100,000 rows, each run by a fresh Celery worker
(`--pool=solo`: the import runs in the worker's own process), whose peak RSS (VmHWM) is read
when the import is done. Constant memory means both peaks are about the same.
"""

from __future__ import annotations

import http.client
import os
import statistics
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

from bench import fixtures, harness
from bench.pace import SLOT

if TYPE_CHECKING:
    from bench.steps import Context


def _csv(rows: int, first: int) -> bytes:
    lines = ["email,phone,firstname,zipcode"]
    for i in range(first, first + rows):
        npa = (212, 305, 415, 512, 617, 702, 727, 813)[(i // 8_000_000) % 8]
        lines.append(
            f"i{i}@bench.example.com,{npa}{200 + (i // 10_000) % 800}{i % 10_000:04d},Imp,33602"
        )
    return ("\n".join(lines) + "\n").encode()


def _import_once(
    ctx: Context, target: fixtures.BenchTarget, rows: int, first: int
) -> dict[str, Any]:
    from campaigns.models import Campaign
    from imports.models import ContactImport, ImportStatus
    from imports.services import contact_import_create, contact_import_start
    from sources.models import Source

    content = _csv(rows, first)
    imp = contact_import_create(
        source=Source.objects.get(pk=target.source_id),
        campaign=Campaign.objects.get(pk=target.campaign_id),
        filename=f"bench-{rows}.csv",
        content=content,
    )
    with harness.services() as started:
        worker = harness.start_worker(ctx.env, ctx.logs, concurrency=1, pool="solo")
        started.append(worker)
        began = time.monotonic()
        contact_import_start(contact_import=imp, mapping=imp.mapping)
        deadline = began + 3600
        while time.monotonic() < deadline:
            imp.refresh_from_db()
            worker.sample_memory()
            if imp.status in (ImportStatus.DONE, ImportStatus.FAILED):
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - began
        memory = worker.memory_report()
    done = ContactImport.objects.get(pk=imp.pk)
    return {
        "rows": rows,
        "csv_mib": round(len(content) / 1024 / 1024, 1),
        "status": done.status,
        "imported": done.rows_imported,
        "seconds": round(elapsed, 1),
        "rows_per_second": round(rows / elapsed, 1),
        "worker_peak_rss_mib": max(memory["main_peak_mib"], memory["child_peak_mib"]),
    }


def step_import(ctx: Context) -> dict[str, Any]:
    from subscriptions.models import CallbackEndpoint

    target = ctx.target()
    # Imported rows subscribe persons; with no active endpoint no callback task competes with
    # the import in the worker.
    CallbackEndpoint.objects.filter(name="Bench receiver").update(is_active=False)
    large = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
    runs = []
    for rows in (large // 10, large):
        result = _import_once(ctx, target, rows, first=ctx.slot() * SLOT)
        print(f"  import {rows} rows: {result['seconds']} s, peak {result['worker_peak_rss_mib']}")
        runs.append(result)
    CallbackEndpoint.objects.filter(name="Bench receiver").update(is_active=True)
    small, big = runs
    return {
        "runs": runs,
        "peak_growth_mib": round(big["worker_peak_rss_mib"] - small["worker_peak_rss_mib"], 1),
    }


def _staff_cookie() -> str:
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"sessionid={session.session_key}"


def _time_page(port: int, path: str, cookie: str, repeats: int = 5) -> dict[str, Any]:
    timings, status, size = [], 0, 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for n in range(repeats + 1):
        began = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        body = response.read()
        if n:  # the first is a warm-up
            timings.append(time.perf_counter() - began)
        status, size = response.status, len(body)
    conn.close()
    return {
        "status": status,
        "bytes": size,
        "median_ms": round(statistics.median(timings) * 1000, 1),
        "max_ms": round(max(timings) * 1000, 1),
    }


def step_admin(ctx: Context) -> dict[str, Any]:
    from ingest.models import IntakeEvent

    wanted = int(os.environ.get("BENCH_ADMIN_EVENTS", "1000000"))
    target = ctx.target()
    have = IntakeEvent.objects.count()
    generated = 0.0
    if have < wanted:
        began = time.monotonic()
        subprocess.run(
            [sys.executable, "manage.py", "generate_events", "--count", str(wanted - have)],
            env=ctx.env,
            check=True,
            timeout=3600,
        )
        generated = time.monotonic() - began
    events = IntakeEvent.objects.count()
    one_email = IntakeEvent.objects.exclude(email="").values_list("email", flat=True).first()
    sid = target.source_id
    pages = {
        "dashboard": "/admin/dashboard/",
        "chart: intake by status (30 days)": "/admin/charts/intake/?by=status",
        "chart: by campaign": "/admin/charts/intake/?by=campaign",
        "chart: money": "/admin/charts/intake/?by=money",
        "caps dashboard": "/admin/caps/",
        "source page": f"/admin/sources/source/{sid}/change/",
        "chart: one source": f"/admin/charts/intake/?by=status&source={sid}",
        "timeline, first page": "/admin/ingest/intakeevent/",
        "timeline, one source and status": (
            f"/admin/ingest/intakeevent/?source={sid}&status=accepted"
        ),
        "timeline, search one email": f"/admin/ingest/intakeevent/?q={one_email or 'x'}",
    }
    cookie = _staff_cookie()
    results: dict[str, Any] = {}
    with harness.services() as started:
        web = harness.start_gunicorn(ctx.env, ctx.logs, name="gunicorn-admin")
        started.append(web)
        for name, path in pages.items():
            results[name] = {"path": path, **_time_page(web.port or 0, path, cookie)}
            print(f"  {name}: {results[name]['median_ms']} ms ({results[name]['status']})")
        memory = web.memory_report()
    return {
        "events": events,
        "generate_seconds": round(generated, 1),
        "pages": results,
        "web_memory": memory,
    }
