"""The file dialogs: the desktop's own file chooser where there is one (zenity on GNOME and most others,
kdialog on KDE), run in a worker while the window stays live and modal-looking; otherwise Tk's dialog,
made to scale (its list and icons in font units, so 192 dpi shows as many rows as 96).

`ask_open`, `ask_save` and `ask_folder` return the path chosen, or "" when cancelled, as Tk's own
dialogs do: while an outside chooser is open, a nested Tk event loop waits for it (the window repaints,
follows and plays on; `tk busy` keeps its input away and shows a busy cursor), as Tk's dialogs wait.

IMGSHARE_FILE_CHOOSER=tk|zenity|kdialog picks one; by default an outside chooser is used in a desktop
session (XDG_CURRENT_DESKTOP or DESKTOP_SESSION set) when its program is installed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import tkinter as tk
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageTk

from .theme import palette, units

Filters = Sequence[tuple[str, str]]  # (label, "*.png *.jpg") as tkinter's filetypes
LIST_SIZE = (64, 14)  # Tk's dialog's file list, in characters and lines of the default font
ICON_LINES = 1.0  # its icons, in lines of the default font
POLL_MS = 30  # how often the waiting window looks whether the outside chooser has answered


def backend() -> str:
    """'zenity', 'kdialog' or 'tk': which dialog the window uses here."""
    chosen = os.environ.get("IMGSHARE_FILE_CHOOSER", "").strip().lower()
    if chosen in ("tk", "zenity", "kdialog"):
        return chosen if chosen == "tk" or shutil.which(chosen) else "tk"
    if not (os.environ.get("XDG_CURRENT_DESKTOP") or os.environ.get("DESKTOP_SESSION")):
        return "tk"
    desktop = os.environ.get("XDG_CURRENT_DESKTOP", "").upper()
    order = ("kdialog", "zenity") if "KDE" in desktop else ("zenity", "kdialog")
    return next((name for name in order if shutil.which(name)), "tk")


def ask_open(parent: tk.Misc, title: str, folder: str = "", filters: Filters = (), name: str = "") -> str:
    """The file to open ("" when cancelled); name, when given, is chosen already."""
    return _ask(parent, "open", title, folder, name, filters)


def ask_save(parent: tk.Misc, title: str, folder: str = "", name: str = "", filters: Filters = ()) -> str:
    return _ask(parent, "save", title, folder, name, filters)


def ask_folder(parent: tk.Misc, title: str, folder: str = "") -> str:
    return _ask(parent, "folder", title, folder, "", ())


def _ask(parent: tk.Misc, kind: str, title: str, folder: str, name: str, filters: Filters) -> str:
    chosen = backend()
    if chosen != "tk":
        answer = _outside(parent, _command(chosen, kind, title, folder, name, filters, parent))
        if answer is not None:
            return answer
    return _tk_dialog(parent, kind, title, folder, name, filters)


# -- an outside chooser, in a worker ---------------------------------------------------------------

def _command(program: str, kind: str, title: str, folder: str, name: str, filters: Filters,
             parent: tk.Misc) -> list[str]:
    start = os.path.join(folder, name) if folder else name
    window = str(parent.winfo_toplevel().winfo_id())
    if program == "zenity":
        command = ["zenity", "--file-selection", f"--title={title}", f"--attach={window}"]
        if kind == "save":
            command += ["--save", "--confirm-overwrite"]
        elif kind == "folder":
            command.append("--directory")
        if start:
            command.append(f"--filename={start if kind != 'open' or name else start.rstrip('/') + '/'}")
        command += [f"--file-filter={label} | {patterns}" for label, patterns in filters]
        return command
    flag = {"open": "--getopenfilename", "save": "--getsavefilename", "folder": "--getexistingdirectory"}[kind]
    command = ["kdialog", "--title", title, "--attach", window, flag, start or os.path.expanduser("~")]
    if kind != "folder" and filters:
        command.append("\n".join(f"{patterns}|{label}" for label, patterns in filters))
    return command


def _run(command: list[str], screen: str, started: list[subprocess.Popen[str]], closed: threading.Event) -> str | None:
    """The path the chooser printed, "" when cancelled, None when it could not run (Tk's dialog then).
    The chooser is put in started (for the Tk thread to end it) and ended here if closed is set already."""
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   stdin=subprocess.DEVNULL, text=True,
                                   env=dict(os.environ, DISPLAY=screen))  # on the window's own screen
    except OSError:
        return None
    started.append(process)
    if closed.is_set():  # the window went while the chooser started: the Tk thread may have missed it
        process.terminate()
    output, _ = process.communicate()
    if process.returncode == 0:
        return output.rstrip("\n")
    if process.returncode in (1, -signal.SIGTERM):  # Cancel, or ended as its window closed
        return ""
    return None  # it failed to start


def _outside(parent: tk.Misc, command: list[str]) -> str | None:
    """Run command in a thread of its own; wait in a nested event loop with the window busy (input held,
    a busy cursor) but drawn and running. The thread only stores its answer: the Tk thread polls for it.
    A window closed meanwhile closes the chooser too. The poll and the variable waited on belong to the root:
    a destroyed widget takes its pending after() callbacks with it, and the wait would never end."""
    toplevel = parent.winfo_toplevel()
    root = parent.nametowidget(".")
    answer: list[str | None] = []
    started: list[subprocess.Popen[str]] = []
    closed = threading.Event()
    # a plain Tcl variable, not a tk.BooleanVar: its __del__, run by a garbage collection in another thread,
    # would call Tk there
    finished = f"::imgshare_chooser_{id(answer)}"
    root.setvar(finished, 0)
    screen = parent.winfo_screen()
    thread = threading.Thread(target=lambda: answer.append(_run(command, screen, started, closed)),
                              name="imgshare-file-chooser", daemon=True)

    def check() -> None:
        if not parent.winfo_exists():
            closed.set()  # before looking at started: a chooser starting now then ends itself
            for process in started:
                process.terminate()
            root.setvar(finished, 1)
        elif thread.is_alive():
            root.after(POLL_MS, check)
        else:
            root.setvar(finished, 1)

    thread.start()
    busy = _hold(toplevel)
    root.after(POLL_MS, check)
    try:
        root.wait_variable(finished)
    finally:
        if busy:
            _release(toplevel)
        root.globalunsetvar(finished)
    if not answer or not parent.winfo_exists():
        return ""
    return answer[0]


def _hold(toplevel: tk.Misc) -> bool:
    try:
        toplevel.tk.call("tk", "busy", "hold", str(toplevel))
        return True
    except tk.TclError:  # already held (a second dialog from a nested loop): leave it to the first
        return False


def _release(toplevel: tk.Misc) -> None:
    try:
        toplevel.tk.call("tk", "busy", "forget", str(toplevel))
    except tk.TclError:  # the window went meanwhile
        pass


def is_busy(toplevel: tk.Misc) -> bool:
    """Whether an outside chooser holds the window now (tests)."""
    return str(toplevel) in {str(w) for w in toplevel.tk.splitlist(toplevel.tk.call("tk", "busy", "current"))}


# -- Tk's own dialog, scaled -------------------------------------------------------------------------

def _tk_dialog(parent: tk.Misc, kind: str, title: str, folder: str, name: str, filters: Filters) -> str:
    scale_tk_dialogs(parent)
    options: list[object] = ["-parent", str(parent), "-title", title]
    if folder:
        options += ["-initialdir", folder]
    if kind == "folder":
        return _path(parent.tk.call("tk_chooseDirectory", *options, "-mustexist", 0))
    if filters:
        options += ["-filetypes", tuple((label, patterns) for label, patterns in filters)]  # a Tcl list
    if kind == "save":
        if name:
            options += ["-initialfile", name, "-defaultextension", os.path.splitext(name)[1]]
        return _path(parent.tk.call("tk_getSaveFile", *options))
    return _path(parent.tk.call("tk_getOpenFile", *options))


def _path(answer: object) -> str:
    """Tk answers a cancelled dialog with an empty string, which tkinter may hand over as ()."""
    return str(answer) if answer else ""


def scale_tk_dialogs(widget: tk.Misc) -> None:
    """Tk's file dialogs draw their icons from ::tk::Priv: give them icons a line tall (once per Tk)."""
    root = widget.nametowidget(".")
    if getattr(root, "_imgshare_dialog_icons", None) is not None:
        return
    size = max(16, round(units(widget).line * ICON_LINES))
    colours = palette(widget)
    icons = {"folderImage": _folder_icon(size, colours.accent), "fileImage": _file_icon(size, colours.muted),
             "updirImage": _updir_icon(size, colours.foreground)}
    photos = {name: ImageTk.PhotoImage(image, master=root) for name, image in icons.items()}
    for name, photo in photos.items():
        root.tk.call("set", f"::tk::Priv({name})", str(photo))
    setattr(root, "_imgshare_dialog_icons", photos)  # noqa: B010  (kept: Tk drops unreferenced images)
    # Tk's dialog is built anew or reconfigured at each call, then placed: size its list just before
    enlarge = root.register(lambda command, *_: _enlarge(root, root.tk.splitlist(command)[1]))
    root.tk.call("trace", "add", "execution", "::tk::PlaceWindow", "enter", enlarge)


def _enlarge(root: tk.Misc, window: str) -> None:
    """Tk's dialog fixes its file list at 400x120 pixels (three rows at 192 dpi): size it in font units."""
    if not window.endswith(("__tk_filedialog", "__tk_choosedir")):
        return
    canvas = f"{window}.contents.icons.cHull.canvas"
    if root.tk.call("winfo", "exists", canvas):
        u = units(root)
        root.tk.call(canvas, "configure", "-width", u.chars(LIST_SIZE[0]), "-height", u.line * LIST_SIZE[1])


def _folder_icon(size: int, colour: str) -> Image.Image:
    image = Image.new("RGBA", (size * 4, size * 4), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    s = size * 4
    draw.rounded_rectangle((s * 0.06, s * 0.18, s * 0.5, s * 0.4), radius=s // 16, fill=colour)
    draw.rounded_rectangle((s * 0.06, s * 0.28, s * 0.94, s * 0.84), radius=s // 12, fill=colour)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _file_icon(size: int, colour: str) -> Image.Image:
    image = Image.new("RGBA", (size * 4, size * 4), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    s = size * 4
    draw.polygon([(s * 0.2, s * 0.08), (s * 0.62, s * 0.08), (s * 0.8, s * 0.26), (s * 0.8, s * 0.92),
                  (s * 0.2, s * 0.92)], fill="#ffffff", outline=colour, width=max(4, s // 16))
    draw.line([(s * 0.62, s * 0.08), (s * 0.62, s * 0.26), (s * 0.8, s * 0.26)], fill=colour, width=max(4, s // 16))
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _updir_icon(size: int, colour: str) -> Image.Image:
    image = Image.new("RGBA", (size * 4, size * 4), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    s = size * 4
    width = max(4, s // 10)
    draw.line([(s * 0.5, s * 0.82), (s * 0.5, s * 0.2)], fill=colour, width=width)
    draw.line([(s * 0.22, s * 0.46), (s * 0.5, s * 0.18), (s * 0.78, s * 0.46)], fill=colour, width=width,
              joint="curve")
    return image.resize((size, size), Image.Resampling.LANCZOS)
