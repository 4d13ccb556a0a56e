"""What the window remembers: recent keys and files, the last folder and the theme, in the user's config
folder, across two app instances; a broken file is ignored with a log line; the rate meter is thread-safe."""

from __future__ import annotations

import itertools
import json
import logging
import threading

from imgshare import settings
from imgshare.settings import Settings, ThemeChoice
from imgshare.views.receiver.follow_model import RateMeter
from tests.gui.support import pump_until, status_after, stripes


def test_recent_keys_and_files_persist_across_two_app_instances(make_app, new_key, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    first, second = new_key(), new_key()
    path = tmp_path / "pictures" / "r.png"
    path.parent.mkdir()
    stripes((60, 40)).save(path)
    app = make_app(key=first, send_file=str(path))
    pump_until(app, lambda: app.sender.shared, what="the share")
    app.sender.key_field.var.set(second)
    status_after(app, app.sender.share_button.invoke)
    assert app.sender.shared.key == second
    app.close()
    saved = json.loads((tmp_path / "config" / "imgshare" / "settings.json").read_text())
    assert saved["recent_keys"][:2] == [second, first]
    assert saved["recent_files"] == [str(path)] and saved["last_folder"] == str(path.parent)

    again = make_app(key="other")
    entry = again.sender.key_field.entry
    entry.tk.call(entry.cget("postcommand"))  # what opening the list runs
    assert list(again.sender.key_field.entry.cget("values"))[:2] == [second, first]
    receiver = again.receiver
    receiver.key_list.refresh()
    lines = list(receiver.key_field.entry.cget("values"))
    assert any(line.startswith(f"{first}  -  ") for line in lines), lines
    assert again.menu.recent.entrycget(0, "label") == f"1  r.png  ({path.parent})"
    assert again.settings.start_folder() == str(path.parent)


def test_a_broken_settings_file_is_ignored_with_a_log_line(tmp_path, caplog):
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="imgshare.settings"):
        loaded = settings.load(path)
    assert loaded == Settings()
    assert "ignoring the settings file" in caplog.text and str(path) in caplog.text
    path.write_text(json.dumps({"recent_keys": ["a", 3, ""], "theme": "purple", "last_folder": 7}))
    assert settings.load(path) == Settings(recent_keys=["a"])


def test_settings_are_written_atomically_and_read_back(tmp_path):
    path = tmp_path / "deeper" / "settings.json"
    value = Settings(recent_keys=["k"], recent_files=["/x/y.png"], last_folder="/x", theme=ThemeChoice.DARK)
    assert settings.save(value, path)
    assert settings.load(path) == value
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temporary file left
    (tmp_path / "ro").mkdir(mode=0o500)
    blocked = tmp_path / "ro" / "sub" / "settings.json"
    if not settings.save(value, blocked):  # root may write anywhere: then it simply succeeds
        assert not blocked.exists()


def test_recent_lists_keep_the_newest_first_without_duplicates():
    value = Settings()
    for key in ["a", "b", "a", *[f"k{n}" for n in range(20)]]:
        value.remember_key(key)
    assert value.recent_keys[:3] == ["k19", "k18", "k17"] and len(value.recent_keys) == settings.RECENT_MAX
    assert len(set(value.recent_keys)) == len(value.recent_keys)


def test_start_folder_is_the_last_folder_else_pictures_else_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert Settings().start_folder() == str(tmp_path)
    (tmp_path / "Pictures").mkdir()
    assert Settings().start_folder() == str(tmp_path / "Pictures")
    assert Settings(last_folder=str(tmp_path / "gone")).start_folder() == str(tmp_path / "Pictures")
    assert Settings(last_folder="/").start_folder() == "/"


def test_the_rate_meter_survives_a_reset_between_its_check_and_its_pop():
    """The follow thread ticks while the Tk thread reads and resets (issue 11). The clock's readings
    make the ticking thread, each time its trim is about to drop an old time, ask the other thread to
    reset the meter and wait briefly for it: exactly the interleaving that made the unlocked meter raise
    IndexError. With the lock the reset waits for the tick instead, and nothing fails."""
    asked, done, stop = threading.Event(), threading.Event(), threading.Event()
    ticker_name = "imgshare-test-ticker"

    class Reading(float):
        def __lt__(self, other: object) -> bool:
            older = float(self) < float(other)  # type: ignore[arg-type]
            if older and threading.current_thread().name == ticker_name:
                asked.set()
                done.wait(0.02)  # the locked meter makes the reset wait for us: give up soon
                done.clear()
            return older

    ticks = itertools.count()
    meter = RateMeter(window=1.0, clock=lambda: Reading(next(ticks) * 0.6))
    errors: list[BaseException] = []
    rounds = 200

    def ticking() -> None:
        try:
            for _ in range(rounds):
                meter.tick()
        except BaseException as exc:
            errors.append(exc)
        finally:
            stop.set()

    def resetting() -> None:
        while not stop.is_set():
            if asked.wait(0.01):
                asked.clear()
                meter.reset()
                done.set()
            meter.rate()

    threads = [threading.Thread(target=ticking, name=ticker_name), threading.Thread(target=resetting)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and meter.count == rounds
