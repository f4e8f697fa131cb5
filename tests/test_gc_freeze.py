"""contactsource.gcfreeze: a worker's loaded application is out of the collector's full walks.

Run in a child process: freezing is for the whole process, and this one is pytest's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings

CHILD = """
import gc, json, sys
import contactsource.wsgi
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "walked": len(gc.get_objects()),
    "views_loaded": "ingest.views" in sys.modules and "partnerdocs.views" in sys.modules,
}))
"""


def test_loading_the_wsgi_application_freezes_what_it_loaded() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "contactsource.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    # The URL configuration was loaded before freezing: the views' objects are frozen too.
    assert seen["views_loaded"] is True
    # Django, the apps and the views: tens of thousands of objects, now never walked...
    assert seen["frozen"] > 50_000
    # ...and a full collection walks only what was made after (here, almost nothing).
    assert seen["walked"] < seen["frozen"] / 20
