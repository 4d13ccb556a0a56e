"""imgshare's Tk window: one module per tab, plus the window, the status bar and their helpers.

Widgets live here; the work they start (IPC, decoding, scaling, clipboard) runs in imgshare.views.worker
threads through the plain functions of sharing.py, receiving.py, display.py and clipboard.py.
"""
