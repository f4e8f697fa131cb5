from __future__ import annotations

from django.db import models


class FieldType(models.TextChoices):
    TEXT = "text", "Text"
    EMAIL = "email", "Email"
    TEL = "tel", "Phone"
    NUMBER = "number", "Number"
    BOOLEAN = "boolean", "Boolean"
    DATE = "date", "Date"
    DATETIME = "datetime", "Date and time"
    SELECT = "select", "Select (one of the choices)"
    MULTISELECT = "multiselect", "Multi-select (several choices)"
    URL = "url", "URL"
    COUNTRY = "country", "Country"
    REGION = "region", "Region / state"
    ZIPCODE = "zipcode", "Zip / postal code"
    IP = "ip", "IP address"
