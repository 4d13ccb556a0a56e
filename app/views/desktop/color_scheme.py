"""Whether the desktop asks for dark windows (no Tk): read where Linux desktops keep that preference.

Asked in this order, the first clear answer wins: the XDG desktop portal's color-scheme (GNOME 42+,
KDE, any portal-backed desktop), GNOME's gsettings color-scheme and GTK theme name, the GTK_THEME
variable, and GTK 3/4's settings.ini. Nothing readable means light. The two commands run with a short
timeout and are called from a worker thread, never on the Tk thread (a missing D-Bus can make them
wait).
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from pathlib import Path

TIMEOUT = 2.0  # seconds for each desktop command; a desktop that does not answer by then counts as light


def prefers_dark() -> bool:
    """True when the desktop's readable preference is dark, else False."""
    for probe in (_portal, _gsettings, _gtk_theme_variable, _gtk_settings_file):
        answer = probe()
        if answer is not None:
            return answer
    return False


def _run(command: list[str]) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _portal() -> bool | None:
    """org.freedesktop.appearance color-scheme: 1 prefer dark, 2 prefer light, 0 no preference."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return None
    out = _run(["gdbus", "call", "--session", "--timeout", "1", "--dest", "org.freedesktop.portal.Desktop",
                "--object-path", "/org/freedesktop/portal/desktop", "--method",
                "org.freedesktop.portal.Settings.Read", "org.freedesktop.appearance", "color-scheme"])
    return portal_answer(out) if out else None


def portal_answer(text: str) -> bool | None:
    """Parse gdbus's reply, e.g. '(<<uint32 1>>,)'."""
    digits = [word.strip("<>(),") for word in text.split() if word.strip("<>(),").isdigit()]
    if not digits:
        return None
    return {"1": True, "2": False}.get(digits[-1])


def _gsettings() -> bool | None:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return None
    scheme = _run(["gsettings", "get", "org.gnome.desktop.interface", "color-scheme"])
    if scheme and "dark" in scheme:
        return True
    if scheme and "light" in scheme:
        return False
    theme = _run(["gsettings", "get", "org.gnome.desktop.interface", "gtk-theme"])
    return ("dark" in theme.lower()) if theme else None


def _gtk_theme_variable() -> bool | None:
    value = os.environ.get("GTK_THEME", "")
    return ("dark" in value.lower()) if value else None


def _gtk_settings_file() -> bool | None:
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    for folder in ("gtk-4.0", "gtk-3.0"):
        return_value = gtk_settings_answer(base / folder / "settings.ini")
        if return_value is not None:
            return return_value
    return None


def gtk_settings_answer(path: Path) -> bool | None:
    """gtk-application-prefer-dark-theme, else a theme name with 'dark' in it, from a settings.ini."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error, UnicodeDecodeError):
        return None
    if not parser.has_section("Settings"):
        return None
    section = parser["Settings"]
    prefer = section.get("gtk-application-prefer-dark-theme", "").strip().lower()
    if prefer in ("1", "true", "yes"):
        return True
    theme = section.get("gtk-theme-name", "")
    if theme:
        return "dark" in theme.lower()
    return False if prefer in ("0", "false", "no") else None
