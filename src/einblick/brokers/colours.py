"""The broker's colours: Einblick's default, WCAG contrast, and the text colour that reads on a colour
(portal stylesheet, e-mail buttons)."""

from __future__ import annotations

DEFAULT_BRAND = "#1d4ed8"
DARK, LIGHT = "#1f2933", "#ffffff"


def _luminance(hex_color: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def ink_on(color: str) -> str:
    """White or dark text, whichever reads better on `color`."""
    return LIGHT if contrast(color, LIGHT) >= contrast(color, DARK) else DARK
