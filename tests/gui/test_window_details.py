"""Issue 17's small window defects: Copy pixel value copies the right-clicked pixel, the status bar is not
left stale (Stop comparing, following), a theme chosen in one window reaches another process's, the
histogram's spikes at 0 and 255 stay in view, Help > Documentation opens its documents, the About box
says "no limit", and Clean up lists what it would remove and asks first."""

from __future__ import annotations

import os

from PIL import Image

from imgshare.ipc import Sender
from imgshare.settings import ThemeChoice
from imgshare.views.widgets import theme
from imgshare.views.window import help_dialogs
from tests.gui.support import ipc_objects, killed_sender, pump_until, start_python, status_after, stop
from tests.gui.test_compare_panel import compare_with, received_image
from tests.gui.test_menus import dialogs, run


def test_copy_pixel_value_copies_the_right_clicked_pixel(make_app, key):
    image = Image.new("RGB", (40, 30), (10, 20, 30))
    image.putpixel((30, 20), (200, 100, 50))
    app = make_app(key=key)
    with Sender(key) as sender:
        sender.share(image)
        app.notebook.select(app.receiver)
        status_after(app, app.receiver.receive_button.invoke)
    view = app.receiver.view
    pump_until(app, lambda: view.displayed_size and not view.rendering, what="the image drawn")
    view.pin((1, 1))  # another pixel pinned: the click's pixel wins
    wx, wy = view.window_point(30.5, 20.5)
    menu = app.image_menus[str(app.receiver)]
    view.canvas.event_generate("<Button-3>", x=int(wx), y=int(wy), rootx=view.canvas.winfo_rootx() + int(wx),
                               rooty=view.canvas.winfo_rooty() + int(wy))
    pump_until(app, menu.winfo_viewable, what="the menu")
    index = menu.index("Copy pixel value")
    assert str(menu.entrycget(index, "state")) == "normal"  # not only when a pixel is pinned
    menu.invoke(index)
    menu.tk.call("::tk::MenuUnpost", str(menu))  # and its grab released, as choosing an entry does
    assert app.root.clipboard_get() == "x 30, y 20, RGB: R 200  G 100  B 50"
    view.canvas.event_generate("<Button-3>", x=2, y=2, rootx=view.canvas.winfo_rootx() + 2,
                               rooty=view.canvas.winfo_rooty() + 2)  # off the image (fit leaves margins)
    app.root.update()
    off = view.pixel_at(2, 2) is None
    assert str(menu.entrycget(index, "state")) == ("disabled" if off else "normal")
    menu.tk.call("::tk::MenuUnpost", str(menu))


def test_stop_comparing_says_so_and_drops_a_comparison_on_its_way(make_app, key, tmp_path):
    image = received_image()
    image.save(tmp_path / "expected.png")
    app = make_app(key=key)
    tab = app.receiver
    app.notebook.select(tab)
    with Sender(key) as sender:
        sender.share(image)
        status_after(app, tab.receive_button.invoke)
    compare_with(tab.compare, tmp_path / "expected.png")
    assert app.status.text.startswith("Compared with expected.png")
    tab.compare.clear_button.invoke()
    assert app.status.text == "Stopped comparing with expected.png."
    tab.compare.ask_open_path = lambda parent: str(tmp_path / "expected.png")
    tab.compare.compare_button.invoke()  # and Stop comparing before it is done
    tab.compare.clear()
    pump_until(app, lambda: not tab.compare._worker.busy, what="the comparison to end")
    app.root.update()
    assert tab.compare.outcome is None and not app.status.text.startswith("Compared with")


def test_the_status_bar_keeps_up_while_following(make_app, key):
    app = make_app(key=key)
    tab = app.receiver
    app.notebook.select(tab)
    with Sender(key) as sender:
        sender.share(Image.new("RGB", (32, 24), "red"))
        tab.follow_check.invoke()
        pump_until(app, lambda: app.status.text.endswith("sequence 1."), what="the first frame said")
        for n in range(2, 5):
            sender.share(Image.new("RGB", (32, 24), (n * 40, 0, 0)))
        pump_until(app, lambda: app.status.text.endswith("sequence 4."), what="the status to follow the frames")
        assert app.status.text.startswith(f"Following key {key!r}: the sender (pid {os.getpid()}) shares 32x24 RGB")
        app.status.say("Something else")  # a newer sentence is not overwritten
        sender.share(Image.new("RGB", (32, 24), "blue"))
        pump_until(app, lambda: tab.got.info.sequence == 5, what="frame 5")
        pump_until(app, lambda: tab.follow._tick_after is not None and app.root.update() is None
                   and len(app.status.history) >= 1, what="a tick")
        assert app.status.text == "Something else."
        tab.follow_check.invoke()


THEME_FROM_ANOTHER_WINDOW = """
import sys, tkinter as tk
from imgshare.views.window.app import build_app
root = tk.Tk(className="imgshare")
app = build_app(root, key=sys.argv[1])
themes = app.menu.menus["Theme"]
themes.invoke(themes.index(sys.argv[2]))  # View > Theme > Dark, in this other window
print("chosen", flush=True)
sys.stdin.readline()
app.close()
"""


def test_a_theme_chosen_in_another_windows_process_reaches_this_window(make_app, key):
    app = make_app(key=key)
    assert not theme.is_dark(app.root)
    other = start_python(THEME_FROM_ANOTHER_WINDOW, key, "Dark")
    try:
        assert other.stdout.readline().strip() == "chosen", other.stderr.read()
        pump_until(app, lambda: theme.is_dark(app.root), what="this window to turn dark")
        assert app.settings.theme is ThemeChoice.DARK and app.menu.theme_var.get() == "dark"
    finally:
        other.stdin = None
        stop(other)
    themes = app.menu.menus["Theme"]
    themes.invoke(themes.index("Light"))  # this window's own choice is not undone by an older read
    pump_until(app, lambda: not app._theme_worker.busy, what="the settings read")
    app.root.update()
    assert not theme.is_dark(app.root) and app.settings.theme.value == "light"


def test_histogram_spikes_at_0_and_255_stay_clear_of_the_frame(make_app, key, dpi_screen):
    app = make_app(key=key, screen=dpi_screen)
    image = Image.new("L", (100, 100), 0)
    image.paste(255, (0, 0, 100, 50))
    image.paste(128, (0, 0, 10, 10))
    tab = app.sender
    tab.view.show(image, source=image)
    panel = tab.inspector
    pump_until(app, lambda: panel.stats is not None and panel.stats.image is image, what="the histogram")
    app.root.update()
    (line,) = [item for item in panel.canvas.find_all() if panel.canvas.type(item) == "line"]
    coords = panel.canvas.coords(line)
    xs, ys = coords[0::2], coords[1::2]
    width, height = panel.canvas.winfo_width(), panel.canvas.winfo_height()
    inset = panel.canvas.winfo_fpixels("2p")  # at least two points clear of each edge, at any dpi
    assert xs[0] >= inset and xs[-1] <= width - 1 - inset  # the first and last values' spikes
    assert min(ys) >= inset and max(ys) <= height - 1 - inset
    assert ys[0] < height / 2 and ys[-1] < height / 2  # both spikes tall
    assert float(panel.canvas.itemcget(line, "width")) >= (2 if app.root.winfo_fpixels("1i") > 150 else 1)


def test_documentation_opens_its_documents_and_about_says_no_limit(make_app, key, tmp_path):
    app = make_app(key=key)
    run(app, "Help", "Documentation")
    (docs,) = dialogs(app)
    assert [name for name, _ in docs.rows] == ["README", "Protocol", "Qt mode", "Reliability"]
    docs.open_buttons[0].invoke()
    app.root.update()
    (reader,) = [w for w in docs.winfo_children() if isinstance(w, help_dialogs.DocumentReader)]
    assert reader.text.get("1.0", "1.end") == "# imgshare" and reader.title() == "README – imgshare"
    reader.destroy()
    docs.destroy()
    kernel = tmp_path / "kernel"
    kernel.mkdir()
    (kernel / "shmmax").write_text("18446744073692774399\n")  # the kernel's default: no limit
    (kernel / "shmall").write_text("2097152\n")
    (kernel / "shmmni").write_text("4096\n")
    (kernel / "sem").write_text("32000\t1024000000\t500\t32000\n")
    rows = {name: value for name, value, _ in help_dialogs.sysv_limits(kernel)}
    assert rows["SHMMAX"] == "no limit" and rows["SHMALL"] == "2097152" and rows["SEMMNI"] == "32000"
    run(app, "Help", "About imgshare")
    (about,) = dialogs(app)
    shown = dict(about.rows)["SHMMAX"]
    real = int(open("/proc/sys/kernel/shmmax").read())
    assert shown.startswith("no limit" if real >= 1 << 62 else str(real))
    about.destroy()


def test_clean_up_lists_the_stale_shares_and_asks_first(private_ipc, make_app, new_key, tmp_path):
    """In a private IPC namespace, as Clean up acts on every stale share of the user."""
    dead = new_key()
    path = tmp_path / "gone.png"
    Image.new("RGB", (21, 13), "orange").save(path)
    killed_sender(dead, path)
    app = make_app()
    tab = app.receiver
    app.notebook.select(tab)
    tab.clean_button.invoke()
    question = pump_until(app, lambda: tab.confirm_dialog, what="the question")
    assert question.lines == [line for line in question.lines if line.startswith(f"{dead}  -  21x13 RGB, gone.png")]
    assert question.action_button.cget("text") == "Remove 1 stale share" and question.title() == "Clean up stale shares"
    assert str(app.root.focus_get()) == str(question.cancel_button)  # the safe answer is the default
    question.cancel_button.invoke()
    assert app.status.text == "Clean up cancelled; nothing was removed." and ipc_objects(dead) != []
    tab.clean_button.invoke()
    question = pump_until(app, lambda: tab.confirm_dialog is not question and tab.confirm_dialog,
                          what="the question again")
    said = status_after(app, question.action_button.invoke)
    assert said.startswith(f"Cleaned up 1 stale share ('{dead}')") and ipc_objects(dead) == []


def test_clean_ups_question_with_many_shares_scrolls_and_keeps_its_buttons_on_screen(make_app, dpi_screen):
    """Forty stale shares: the list scrolls in a box of a few lines; the question fits the screen."""
    from imgshare.views.widgets.confirm_dialog import LIST_LINES, ConfirmDialog
    from imgshare.views.widgets.theme import units
    app = make_app(screen=dpi_screen)
    lines = [f"camera-{n:02d}  -  1920x1080 RGB, frame.png, from pid {4000 + n}, 3 min ago" for n in range(40)]
    answers: list[bool] = []
    question = ConfirmDialog(app.root, "Clean up stale shares", "Remove 40 stale shares?", lines,
                             "Remove 40 stale shares", answers.append)
    pump_until(app, question.winfo_viewable, what="the question")
    app.root.update_idletasks()
    line = units(app.root).line
    assert question.winfo_height() <= line * (LIST_LINES + 12)  # not forty lines tall
    assert question.winfo_height() <= question.winfo_screenheight()
    assert question.listing.get("1.0", "end-1c").count("•") == 40  # every share listed, scrolled to
    question.cancel_button.invoke()
    assert answers == [False]
