"""The window's look: Tk's `clam` theme restyled in a light and a dark palette, sized in font units.

Why clam and not a theme package: clam draws its elements in code, so every border, padding and
arrow follows the sizes given here (taken from the font, which Tk scales with the screen's dpi) and
stays crisp at 96 and 192 dpi; image-based themes such as sv-ttk draw fixed-pixel sprites that are
tiny or blurred at 192 dpi, and would add data files to freeze into the binary. The check boxes are
the one element clam draws dated (a tiny square): they are drawn here with Pillow, at the size the
font asks for, per palette.

`apply(root, dark)` defines both themes once per Tk interpreter and switches between them; colours
are set through ttk.Style and the option database only, never per widget. Views that paint classic
Tk widgets (menus, tooltips, the combobox list) read `palette(widget)` and listen for
<<ThemeChanged>>, which ttk sends on every switch.
"""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from dataclasses import dataclass
from tkinter import ttk

from PIL import Image, ImageDraw, ImageTk

THEME_NAMES = {False: "imgshare-light", True: "imgshare-dark"}
SUPERSAMPLE = 4  # indicator images are drawn this much larger, then reduced: smooth edges


@dataclass(frozen=True)
class Palette:
    """The colours of one theme (GNOME's libadwaita palette, which a 2026 Linux desktop uses)."""

    dark: bool
    background: str
    foreground: str
    muted: str  # secondary text: the System V key, the share count
    field: str  # entries, lists
    button: str
    button_hover: str
    button_pressed: str
    border: str
    accent: str
    accent_foreground: str
    disabled: str
    error: str
    tooltip: str
    tooltip_foreground: str
    trough: str


LIGHT = Palette(dark=False, background="#f6f5f4", foreground="#1e1e1e", muted="#5e5c64", field="#ffffff",
                button="#e8e7e6", button_hover="#dcdad8", button_pressed="#cfcdcb", border="#c0bfbc",
                accent="#3584e4", accent_foreground="#ffffff", disabled="#9a9996", error="#c01c28",
                tooltip="#2e3436", tooltip_foreground="#ffffff", trough="#dedddb")
DARK = Palette(dark=True, background="#242424", foreground="#f0f0f0", muted="#a8a6ad", field="#1a1a1a",
               button="#3a3a3a", button_hover="#454545", button_pressed="#505050", border="#4f4f4f",
               accent="#3584e4", accent_foreground="#ffffff", disabled="#77767b", error="#ff7b63",
               tooltip="#f0f0f0", tooltip_foreground="#1e1e1e", trough="#303030")


@dataclass(frozen=True)
class Units:
    """Lengths in pixels derived from the default font: double them at 192 dpi by construction."""

    line: int  # the default font's line height
    pad: int  # a quarter line: the basic gap
    char: int  # the width of "0"

    def chars(self, count: float) -> int:
        return round(self.char * count)


def units(widget: tk.Misc) -> Units:
    font = tkfont.nametofont("TkDefaultFont", root=widget)
    line = font.metrics("linespace")
    return Units(line=line, pad=max(2, round(line / 4)), char=max(1, font.measure("0")))


def palette(widget: tk.Misc) -> Palette:
    """The palette of the theme in use (light when none of imgshare's themes is)."""
    return DARK if ttk.Style(widget).theme_use() == THEME_NAMES[True] else LIGHT


def is_dark(widget: tk.Misc) -> bool:
    return palette(widget).dark


def apply(root: tk.Tk, dark: bool) -> None:
    """Switch root's interpreter to the light or dark theme (defined on first use)."""
    style = ttk.Style(root)
    name = THEME_NAMES[dark]
    if name not in style.theme_names():
        define_fonts(root)
        _define(root, style, DARK if dark else LIGHT)
    style.theme_use(name)
    colours = DARK if dark else LIGHT
    _classic_widgets(root, colours)
    root.configure(background=colours.background)


def _define(root: tk.Tk, style: ttk.Style, p: Palette) -> None:
    u = units(root)
    images = _indicator_images(root, p, round(u.line * 0.95), u.pad * 2)
    style.theme_create(THEME_NAMES[p.dark], parent="clam")
    previous = style.theme_use()
    style.theme_use(THEME_NAMES[p.dark])
    try:
        _configure(style, p, u, images)
    finally:
        style.theme_use(previous)
    # Tk would drop the images once they are unreferenced: keep them with the root.
    kept: list[ImageTk.PhotoImage] = getattr(root, "_imgshare_theme_images", [])
    kept.extend(images.values())
    root._imgshare_theme_images = kept  # type: ignore[attr-defined]


def _configure(style: ttk.Style, p: Palette, u: Units, images: dict[str, ImageTk.PhotoImage]) -> None:
    flat = {"bordercolor": p.border, "lightcolor": p.background, "darkcolor": p.background}
    style.configure(".", background=p.background, foreground=p.foreground, troughcolor=p.trough,
                    fieldbackground=p.field, selectbackground=p.accent, selectforeground=p.accent_foreground,
                    insertcolor=p.foreground, focuscolor=p.accent, font="TkDefaultFont", **flat)
    style.map(".", foreground=[("disabled", p.disabled)], background=[("disabled", p.background)])
    style.configure("TButton", background=p.button, lightcolor=p.button, darkcolor=p.button,
                    bordercolor=p.border, relief="flat", padding=(u.pad * 3, u.pad), anchor="center")
    faint = _mix(p.button, p.background, 0.6)  # a disabled button still looks like a button, only paler
    style.map("TButton",
              background=[("disabled", faint), ("pressed", p.button_pressed), ("active", p.button_hover)],
              lightcolor=[("disabled", faint), ("pressed", p.button_pressed), ("active", p.button_hover)],
              darkcolor=[("disabled", faint), ("pressed", p.button_pressed), ("active", p.button_hover)],
              bordercolor=[("focus", p.accent)])
    style.configure("Accent.TButton", background=p.accent, lightcolor=p.accent, darkcolor=p.accent,
                    foreground=p.accent_foreground, bordercolor=p.accent)
    style.map("Accent.TButton", background=[("disabled", p.background), ("active", _mix(p.accent, "#000000", .15))],
              lightcolor=[("disabled", p.background), ("active", _mix(p.accent, "#000000", .15))],
              darkcolor=[("disabled", p.background), ("active", _mix(p.accent, "#000000", .15))],
              foreground=[("disabled", p.disabled)], bordercolor=[("disabled", p.border)])
    # Check boxes: the indicator images below, with a hover tint on the whole control.
    style.element_create("Imgshare.Checkbutton.indicator", "image", images["off"],
                         ("disabled", "selected", images["on-disabled"]), ("disabled", images["off-disabled"]),
                         ("selected", images["on"]), ("active", images["off-hover"]),
                         border=0, sticky="w")
    style.layout("TCheckbutton", [("Checkbutton.padding", {"sticky": "nswe", "children": [
        ("Imgshare.Checkbutton.indicator", {"side": "left", "sticky": ""}),
        ("Checkbutton.focus", {"side": "left", "sticky": "w", "children": [
            ("Checkbutton.label", {"sticky": "nswe"})]})]})])
    style.configure("TCheckbutton", padding=(u.pad // 2, u.pad))
    style.map("TCheckbutton", background=[("active", p.background)])
    # Radio buttons: round indicators drawn the same way, so they too follow the font at any dpi.
    style.element_create("Imgshare.Radiobutton.indicator", "image", images["radio-off"],
                         ("disabled", "selected", images["radio-on-disabled"]),
                         ("disabled", images["radio-off-disabled"]), ("selected", images["radio-on"]),
                         ("active", images["radio-off-hover"]), border=0, sticky="w")
    style.layout("TRadiobutton", [("Radiobutton.padding", {"sticky": "nswe", "children": [
        ("Imgshare.Radiobutton.indicator", {"side": "left", "sticky": ""}),
        ("Radiobutton.focus", {"side": "left", "sticky": "w", "children": [
            ("Radiobutton.label", {"sticky": "nswe"})]})]})])
    style.configure("TRadiobutton", padding=(u.pad // 2, u.pad))
    style.map("TRadiobutton", background=[("active", p.background)])
    style.configure("TEntry", padding=(u.pad, u.pad // 2), **flat)
    style.map("TEntry", bordercolor=[("focus", p.accent)], lightcolor=[("focus", p.accent)])
    style.configure("TCombobox", padding=(u.pad, u.pad // 2), arrowsize=u.line,
                    background=p.button, arrowcolor=p.foreground, **flat)
    style.map("TCombobox", bordercolor=[("focus", p.accent)], lightcolor=[("focus", p.accent)],
              fieldbackground=[("readonly", p.field)], background=[("active", p.button_hover)])
    # The key lists' lines are longer than a key: they open wider than the field (x, y, width, height).
    style.configure("Keys.TCombobox", postoffset=(0, 0, u.chars(40), 0))
    style.configure("TNotebook", background=p.background, tabmargins=(u.pad, u.pad, u.pad, 0), **flat)
    style.configure("TNotebook.Tab", padding=(u.pad * 4, u.pad), background=p.trough, **flat)
    style.map("TNotebook.Tab", background=[("selected", p.background), ("active", p.button_hover)],
              lightcolor=[("selected", p.background)], bordercolor=[("selected", p.border)],
              expand=[("selected", (0, u.pad // 2, 0, 0))])
    style.configure("TLabelframe", padding=u.pad * 2, **flat)
    style.configure("TLabelframe.Label", font="ImgshareHeading", foreground=p.foreground)
    style.configure("Muted.TLabel", foreground=p.muted)
    style.configure("Error.TLabel", foreground=p.error)
    style.configure("Status.TFrame", background=p.trough)
    style.configure("Status.TLabel", background=p.trough)
    style.configure("StatusError.TLabel", background=p.trough, foreground=p.error)
    style.configure("TProgressbar", background=p.accent, lightcolor=p.accent, darkcolor=p.accent,
                    bordercolor=p.border, troughcolor=p.trough, thickness=u.pad * 2)
    bar = round(u.line * 0.8)
    style.configure("TScrollbar", background=p.button, troughcolor=p.trough, arrowcolor=p.foreground,
                    gripcount=0, arrowsize=bar, **flat)
    style.map("TScrollbar", background=[("active", p.button_hover)])
    style.configure("TSeparator", background=p.border)
    style.configure("Sash", sashthickness=u.pad * 2, gripcount=0)
    style.configure("Treeview", background=p.field, fieldbackground=p.field, rowheight=round(u.line * 1.3))


def _classic_widgets(root: tk.Tk, p: Palette) -> None:
    """Classic Tk widgets take colours from the option database (new ones) and a walk (existing ones)."""
    options = {"background": p.background, "foreground": p.foreground, "activeBackground": p.accent,
               "activeForeground": p.accent_foreground, "selectColor": p.foreground,
               "disabledForeground": p.disabled}
    for name, value in options.items():
        root.option_add(f"*Menu.{name}", value, "interactive")
    for name, value in {"background": p.field, "foreground": p.foreground, "selectBackground": p.accent,
                        "selectForeground": p.accent_foreground}.items():
        root.option_add(f"*TCombobox*Listbox.{name}", value, "interactive")
    pending: list[tk.Misc] = [root]
    while pending:
        widget = pending.pop()
        pending.extend(widget.winfo_children())
        if isinstance(widget, tk.Menu):
            widget.configure(background=p.background, foreground=p.foreground, activebackground=p.accent,
                             activeforeground=p.accent_foreground, selectcolor=p.foreground,
                             disabledforeground=p.disabled, relief="flat", borderwidth=1)
        elif isinstance(widget, ttk.Combobox):
            _recolour_popdown(widget, p)


def _recolour_popdown(box: ttk.Combobox, p: Palette) -> None:
    """A combobox's list is a classic listbox that ttk makes on first use: recolour it if it exists."""
    popdown = str(box.tk.call("ttk::combobox::PopdownWindow", str(box)))
    listbox = f"{popdown}.f.l"
    if box.tk.call("winfo", "exists", listbox):
        box.tk.call(listbox, "configure", "-background", p.field, "-foreground", p.foreground,
                    "-selectbackground", p.accent, "-selectforeground", p.accent_foreground)


def _indicator_images(root: tk.Tk, p: Palette, size: int, gap: int) -> dict[str, ImageTk.PhotoImage]:
    """Rounded check boxes and round radio buttons, drawn smooth at size pixels with gap clear pixels
    after them (the space before the label): off, off-hover, on, and both disabled."""
    size = max(12, size)
    edge = _mix(p.border, p.foreground, 0.35)
    looks = {"off": (p.field, edge, None), "off-hover": (p.field, p.accent, None),
             "off-disabled": (p.background, p.border, None), "on": (p.accent, p.accent, p.accent_foreground),
             "on-disabled": (p.border, p.border, p.background)}
    images = {}
    for draw_one, prefix in ((_check_box, ""), (_radio_button, "radio-")):
        for name, look in looks.items():
            canvas = Image.new("RGBA", (size + gap, size), (0, 0, 0, 0))
            canvas.paste(draw_one(size, *look), (0, 0))
            images[prefix + name] = ImageTk.PhotoImage(canvas, master=root)
    return images


def _check_box(size: int, fill: str, outline: str, tick: str | None) -> Image.Image:
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    inset = SUPERSAMPLE  # one screen pixel of room so the reduced edge is not clipped
    width = max(SUPERSAMPLE, round(big / 12))
    draw.rounded_rectangle((inset, inset, big - inset, big - inset), radius=big // 5, fill=fill,
                           outline=outline, width=width)
    if tick is not None:
        points = [(big * 0.27, big * 0.52), (big * 0.44, big * 0.69), (big * 0.74, big * 0.34)]
        draw.line(points, fill=tick, width=round(big / 8), joint="curve")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _radio_button(size: int, fill: str, outline: str, dot: str | None) -> Image.Image:
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    inset = SUPERSAMPLE
    draw.ellipse((inset, inset, big - inset, big - inset), fill=fill, outline=outline,
                 width=max(SUPERSAMPLE, round(big / 12)))
    if dot is not None:
        middle = big * 0.32
        draw.ellipse((middle, middle, big - middle, big - middle), fill=dot)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _mix(colour: str, other: str, amount: float) -> str:
    a = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * amount):02x}" for x, y in zip(a, b, strict=True))


def define_fonts(root: tk.Tk) -> None:
    """Named fonts in points (so they follow the dpi): a bold heading for panel titles."""
    base = tkfont.nametofont("TkDefaultFont", root=root).actual()
    if "ImgshareHeading" not in tkfont.names(root):
        tkfont.Font(root, name="ImgshareHeading", family=base["family"], size=base["size"], weight="bold")
