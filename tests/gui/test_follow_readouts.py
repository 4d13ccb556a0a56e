"""What a following window says: the frame rate counts each frame once while comparing, the status bar
keeps up while following and after Stop comparing, and a sender that turned to Qt's format is not
called gone."""

from __future__ import annotations

from imgshare.ipc import Sender
from tests.gui.support import pump_until, status_after
from tests.gui.test_compare_panel import changed_copy, compare_with, received_image
from tests.gui.test_follow import shown


def test_while_comparing_each_followed_frame_counts_once_in_the_frame_rate(make_app, key, tmp_path):
    """The comparison draws a frame again (its highlight): the meter counts images shown, not renders."""
    image = received_image()
    image.save(tmp_path / "expected.png")
    app = make_app(key=key)
    tab = app.receiver
    app.notebook.select(tab)
    with Sender(key) as sender:
        sender.share(changed_copy(image))
        tab.receive_button.invoke()
        pump_until(app, lambda: tab.got is not None, what="the image")
        compare_with(tab.compare, tmp_path / "expected.png")
        tab.compare.show_check.invoke()  # the differing pixels drawn over each frame
        tab.follow_check.invoke()
        for n in range(2, 7):
            before = tab.compare.compared
            sender.share(changed_copy(image) if n % 2 else changed_copy(changed_copy(image)))
            pump_until(app, lambda n=n, before=before: shown(app, n) and tab.compare.compared > before
                       and not tab.view.rendering, what=f"frame {n} compared and drawn")
        follow = tab.follow
        # each frame counts once: never more shown than received (the first, sequence 1, is received
        # again when following starts, and may be drawn over by frame 2 before it is shown)
        assert 5 <= follow.shown.count <= follow.received.count <= 6
        assert tab.view.rendered > tab.view.images_shown  # though the highlight did draw frames again
        tab.follow_check.invoke()


def test_a_sender_that_ticks_qt_compatible_is_not_called_gone(make_app, qt_env, tmp_path):
    """The Sender tab shares, the Receiver tab follows; Qt compatible on the Sender shares the same image
    again in Qt's format: the follower says so, and how to see it, instead of "Sender gone"."""
    key = qt_env.key
    stripes_path = tmp_path / "card.png"
    received_image().save(stripes_path)
    app = make_app(key=key)
    app.sender.ask_open_path = lambda parent: str(stripes_path)
    status_after(app, app.sender.open_button.invoke)
    status_after(app, app.sender.share_button.invoke)
    tab = app.receiver
    tab.follow_check.invoke()
    pump_until(app, lambda: shown(app, 1), what="the first frame followed")
    app.sender.qt_check.invoke()
    pump_until(app, lambda: "Qt's format now" in app.status.text, what="the follower to notice")
    assert app.status.text.startswith(f"Key {key!r} is shared in Qt's format now (its sender ticked Qt "
                                      "compatible): tick Qt compatible here and press Receive to see it")
    assert not any("Sender gone" in text for _, _, text in app.status.history)
    assert tab.panel.value("Sender").endswith("shares in Qt's format now")
    tab.follow_check.invoke()
    tab.qt_check.invoke()  # as the sentence says
    assert status_after(app, tab.receive_button.invoke).startswith("Received 64x48")
    status_after(app, app.sender.stop_button.invoke)
    pump_until(app, lambda: not app.sender.session.sharing, what="sharing to stop")
    qt_env.assert_clean()
