"""The default line catalogue (domain.md §2), loaded for every new broker."""

from __future__ import annotations

from einblick.portfolio.models import LineGroup

# code, German label, dashboard group, GDV code
DEFAULT_LINES: list[tuple[str, str, str, str | None]] = [
    ("KFZ", "Kraftfahrt", LineGroup.MOBILITAET, "050"),
    ("HRV", "Hausrat", LineGroup.WOHNEN, "130"),
    ("WGV", "Wohngebäude", LineGroup.WOHNEN, "140"),
    ("GL", "Glas", LineGroup.WOHNEN, "110"),
    ("PHV", "Privathaftpflicht", LineGroup.HAFTUNG, "040"),
    ("HPV", "Privathaftpflicht", LineGroup.HAFTUNG, "040"),
    ("UNF", "Unfall", LineGroup.VORSORGE, "030"),
    ("LV", "Lebensversicherung", LineGroup.VORSORGE, "010"),
    ("BU", "Berufsunfähigkeit", LineGroup.VORSORGE, "010"),
    ("KV", "Krankenversicherung", LineGroup.GESUNDHEIT, "020"),
    ("RS", "Rechtsschutz", LineGroup.RECHT, "070"),
]
