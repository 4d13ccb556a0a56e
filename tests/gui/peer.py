"""A second imgshare window in its own process, driven through its widgets like the in-process tests.

    peer.py receive KEY OUT   receive under KEY, Save as OUT; print the result as one JSON line
    peer.py send KEY FILE     open FILE (dialog replaced), press Share, print JSON, serve until SIGTERM
"""

import json
import sys
import tkinter as tk
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from imgshare.views.window.app import build_app, install_signal_handlers  # noqa: E402
from tests.gui.support import pump_until  # noqa: E402


def main(verb: str, key: str, path: str) -> int:
    root = tk.Tk(className="imgshare")
    app = build_app(root, key=key)
    root.geometry("900x600+0+0")
    install_signal_handlers(app)
    pump_until(app, root.winfo_viewable, what="the window")
    if verb == "receive":
        app.notebook.select(app.receiver)
        app.receiver.receive_button.invoke()
        pump_until(app, lambda: app.receiver.got or app.status.is_error, what="the image")
        pump_until(app, lambda: app.receiver.view.displayed_size and not app.receiver.view.rendering)
        app.receiver.ask_save_path = lambda parent, suggested: path
        app.receiver.save_button.invoke()
        pump_until(app, lambda: app.status.text.startswith("Saved") or app.status.is_error, what="the save")
        canvas = app.receiver.view.canvas
        print(json.dumps({"displayed": app.receiver.view.displayed_size, "status": app.status.text,
                          "box": [canvas.winfo_width(), canvas.winfo_height()],
                          "errors": [repr(e) for e in app.callback_errors]}), flush=True)
        app.close()
        return 0
    app.sender.ask_open_path = lambda parent: path
    app.sender.open_button.invoke()
    pump_until(app, lambda: app.sender.loaded or app.status.is_error, what="the image to load")
    app.sender.share_button.invoke()
    pump_until(app, lambda: app.sender.shared or app.status.is_error, what="the share")
    shared = app.sender.shared
    print(json.dumps({"sequence": shared.sequence if shared else None, "status": app.status.text}), flush=True)
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
