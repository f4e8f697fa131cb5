from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from contactsource.gcfreeze import freeze_loaded

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactsource.settings")
application = get_wsgi_application()
freeze_loaded()
