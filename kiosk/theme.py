"""The look of the customer screens: the server's theme (from /config) or the kiosk's own [theme].

The server's theme document is applied as it comes: `colors` (background, text, accent,
button_text), `layout` (tiles, list, large) and `logo` (an image document, shown from the image
cache). A server theme replaces the kiosk's [theme] for everything it defines (its logo too: a
server theme without a logo shows none); the kiosk's [theme] and then the built-in defaults give
what the server's theme has no key for: the highlight colour of the pay button, and the muted
text (by default the theme's text colour faded into its background).

Every colour is checked again here (a `#` and 3, 4, 6 or 8 hex digits): a value that is not a
colour falls back to the default and never reaches the style sheet as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .images import image_ref

COLOR = re.compile(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
# The style sheet's variables (kiosk/static/kiosk.css), by the kiosk's [theme] key.
DEFAULTS = {"primary": "#0b5cad", "accent": "#ffc83d", "background": "#f3f5f8", "text": "#1b1f24",
            "muted": "#5b6470", "button_text": "#ffffff"}
CSS_NAMES = {"primary": "primary", "accent": "accent", "background": "bg", "text": "text", "muted": "muted",
             "button_text": "button-text"}
# The server's colour names -> the kiosk's: its `accent` is the colour of the buttons and the header.
SERVER_COLORS = {"background": "background", "text": "text", "accent": "primary", "button_text": "button_text"}
# Muted text (labels, notes) under a server theme: its text colour faded into its background.
MUTED_MIX = "color-mix(in srgb, var(--text) 65%, var(--bg))"
LAYOUTS = ("tiles", "list", "large")
LAYOUT_ALIASES = {"grid": "tiles"}  # the kiosk's [theme] said `grid` before the server's names
DEFAULT_LAYOUT = "tiles"


@dataclass(frozen=True)
class Look:
    colors: dict[str, str]  # [theme] key -> a checked colour (or MUTED_MIX), every key of DEFAULTS
    layout: str  # one of LAYOUTS
    logo_sha: str | None = None  # the server theme's logo (an image in the cache)
    logo_file: Path | None = None  # the kiosk's own logo file ([theme] logo)
    source: str = "default"  # "server", "local" or "default"

    def css(self) -> str:
        values = "; ".join(f"--{CSS_NAMES[k]}: {v}" for k, v in self.colors.items())
        return f":root {{ {values}; }}\n"


def color(value) -> str | None:
    return value if isinstance(value, str) and COLOR.fullmatch(value) else None


def layout_of(value) -> str:
    value = LAYOUT_ALIASES.get(value, value) if isinstance(value, str) else None
    return value if value in LAYOUTS else DEFAULT_LAYOUT


def _local_logo(value, base: Path) -> Path | None:
    if not isinstance(value, str) or not value or value.startswith(("http://", "https://")):
        return None
    path = Path(value) if value.startswith("/") else (base / value).resolve()
    return path if path.is_file() else None


def resolve(server_theme, local: dict, base: Path) -> Look:
    """The look to show: `server_theme` (the config's `theme`, None when none is assigned) over the
    kiosk's [theme] table `local` (relative logo paths from `base`, the config file's directory)."""
    local = local if isinstance(local, dict) else {}
    colors = {k: color(local.get(k)) or v for k, v in DEFAULTS.items()}
    if not isinstance(server_theme, dict):
        source = "local" if local else "default"
        return Look(colors=colors, layout=layout_of(local.get("layout")),
                    logo_file=_local_logo(local.get("logo"), base), source=source)
    given = server_theme.get("colors") if isinstance(server_theme.get("colors"), dict) else {}
    for name, key in SERVER_COLORS.items():
        colors[key] = color(given.get(name)) or DEFAULTS[key]
    colors["muted"] = color(local.get("muted")) or MUTED_MIX
    ref = image_ref(server_theme.get("logo"))
    return Look(colors=colors, layout=layout_of(server_theme.get("layout")), logo_sha=ref[0] if ref else None,
                source="server")
