"""Dates in the operator console: to the second, with the time zone (Django's English default has neither).

Used through ``FORMAT_MODULE_PATH``; ``ignite_bridge/core/display.py`` adds "x ago" where a page shows times.
"""

DATETIME_FORMAT = "Y-m-d H:i:s T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i:s T"
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i:s"
