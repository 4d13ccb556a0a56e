"""Serve images under a key until stopped: share, play an animation, re-share a watched file, and stop
in the right order. No Tk here: `imgshare send` and the Sender tab (through views/sender/model.py) both
drive one ServingSession, so both behave the same.

Rules, held in one place:
- A share under a new key (or in the other kind of channel) first succeeds there, then the old share
  stops: an error leaves what was shared before untouched.
- Watching belongs to a share of that file: sharing anything else ends it, and the result says so
  (`Shared.watching` is the one truth a window's checkbox shows).
- Stopping ends the watcher's and the player's threads before the sender removes the share.
"""

from __future__ import annotations

import datetime
import enum
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from .ipc import ChannelKind, ImageSender, ImgShareError, open_sender, sysv_key
from .ipc.defaults import DEFAULT_LOCK_TIMEOUT
from .playback import Frame, Player, load_frames
from .watching import FileWatcher


class Watch(enum.Enum):
    """Whether a share's file is watched, or a watch just ended because something else was shared."""

    OFF = "off"
    ON = "on"
    ENDED = "ended"  # `stopped_watching` names the file no longer watched


@dataclass(frozen=True)
class Shared:
    """What is shared now, and whether its file is watched."""

    key: str
    sysv_key: int | None  # the System V key of the share's segment, for this kind (None: not known)
    sequence: int
    size: tuple[int, int]
    mode: str
    source_name: str
    when: datetime.datetime
    frames: int = 1  # more than one: an animation is playing
    kind: ChannelKind = ChannelKind.IMGSHARE
    watch: Watch = Watch.OFF
    watching: str | None = None  # with Watch.ON: the path re-shared when it changes
    stopped_watching: str | None = None  # with Watch.ENDED: the path no longer watched


@dataclass
class ServingEvents:
    """Callbacks from the session's threads (never the caller's): a window hands them to its own
    thread. Each may be None."""

    frame: Callable[[int, int], None] | None = None  # (index, sequence) after each animation frame
    failed: Callable[[ImgShareError], None] | None = None  # the animation could not share a frame
    new_version: Callable[[Shared, Sequence[Frame]], None] | None = None  # a watched file was re-shared
    skipped: Callable[[ImgShareError], None] | None = None  # a watched version was not shared
    ended: Callable[[], None] | None = None  # frames played once (loop=False) have all had their time


def system_v_key(key: str, kind: ChannelKind) -> int | None:
    """The System V key a share of this kind sits at (Qt's comes from its key file, once made)."""
    if kind is ChannelKind.QT:
        from .ipc.qt import QtKey, ftok
        return ftok(QtKey.of(key).shm_file)
    return sysv_key(key)


@dataclass
class _Watch:
    path: str
    watcher: FileWatcher[list[Frame]] | None = field(default=None)


class ServingSession:
    """One sender at a time for a command or a tab; closed once, for good."""

    def __init__(self, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, events: ServingEvents | None = None):
        self.lock_timeout = lock_timeout
        self.events = events or ServingEvents()
        self._sender: ImageSender | None = None
        self._mutex = threading.RLock()
        self._closed = False
        self._player: Player | None = None
        self._watch: _Watch | None = None
        self._frames: Sequence[Frame] = ()
        self._source_name = ""
        self._path: str | None = None
        self._loop = True

    # -- sharing -----------------------------------------------------------------------------------
    def share(self, key: str, frames: Sequence[Frame], source_name: str, *, path: str | None = None,
              kind: ChannelKind = ChannelKind.IMGSHARE, watch: bool = False, loop: bool = True) -> Shared:
        """Share frames (one: a still image; more: an animation, then played, looping or once) under
        key; with watch, re-share `path` (the file they came from) each time it changes. Raises
        ImgShareError with what was shared before left as it was."""
        with self._mutex:
            self._refuse_if_closed()
            self._loop = loop
            was_watching = self.watching
            shared = self._share_locked(key, kind, frames, source_name, path)
            wanted = path if watch else None
            stale = self._drop_watch_locked() if wanted != was_watching else []
            if wanted is not None and self._watch is None:
                self._start_watcher_locked(wanted)
            shared = self._with_watch(shared, was_watching)
        for watcher in stale:  # outside the mutex: its thread may be waiting for it
            watcher.stop()
        return shared

    def switch_kind(self, kind: ChannelKind) -> Shared | None:
        """Share what is shared now in the other kind of channel (the new share first, then the old one
        stops); None when nothing is shared."""
        with self._mutex:
            self._refuse_if_closed()
            sender = self._sender
            if sender is None:
                return None
            watching = self.watching
            shared = self._share_locked(sender.key, kind, self._frames, self._source_name, self._path)
            return self._with_watch(shared, watching)

    def watch(self) -> str | None:
        """Re-share the file of what is shared now each time it changes; returns its path, or None
        when nothing is shared or it came from no file (the clipboard)."""
        with self._mutex:
            self._refuse_if_closed()
            if self._sender is None or self._path is None:
                return None
            if self._watch is None:
                self._start_watcher_locked(self._path)
            return self._path

    def unwatch(self) -> None:
        with self._mutex:
            stale = self._drop_watch_locked()
        for watcher in stale:
            watcher.stop()

    @property
    def watching(self) -> str | None:
        watch = self._watch
        return watch.path if watch else None

    def pause(self, paused: bool) -> bool:
        """Pause or resume the animation; returns whether one is playing (paused or not)."""
        player = self._player
        if player is not None:
            if paused:
                player.pause()
            else:
                player.resume()
        return player is not None

    @property
    def playing(self) -> bool:
        player = self._player
        return player is not None and not player.paused

    @property
    def sharing(self) -> bool:
        sender = self._sender
        return sender is not None and sender.sharing

    @property
    def kind(self) -> ChannelKind | None:
        sender = self._sender
        return sender.kind if sender is not None else None

    def stop(self, persist: bool = False) -> str | None:
        """Stop sharing: watcher and player ended, then the share removed (or left in place with
        persist); returns the key that was shared, if any."""
        self.unwatch()  # first, outside the mutex: the watcher's thread may be waiting for it
        with self._mutex:
            self._stop_player_locked()
            sender, self._sender = self._sender, None
            if sender is None:
                return None
            sender.close(persist=persist)
            return sender.key

    def close(self) -> None:
        """Stop sharing and refuse further shares (waits for a share in progress to finish)."""
        with self._mutex:
            self._closed = True
        self.stop()

    # -- inside the mutex --------------------------------------------------------------------------
    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise ImgShareError("imgshare is closing; nothing was shared")

    def _share_locked(self, key: str, kind: ChannelKind, frames: Sequence[Frame], source_name: str,
                      path: str | None) -> Shared:
        if not frames:
            raise ImgShareError("there is no image to share")
        old = self._sender
        fresh = old is None or old.key != key or old.kind is not kind
        was_playing = self._player is not None
        if not fresh:
            self._stop_player_locked()  # the player shares through the same sender
        sender = open_sender(key, kind, lock_timeout=self.lock_timeout) if fresh else old
        assert sender is not None
        image = frames[0].image
        try:
            sequence = sender.share(image, source_name=source_name)
        except BaseException:
            if fresh:
                sender.close()
            elif was_playing:  # what was shared before plays on, untouched
                self._play_locked(sender, self._frames, self._source_name)
            raise
        if fresh:
            self._stop_player_locked()
            if old is not None:
                old.close()
        self._sender = sender
        self._frames, self._source_name, self._path = tuple(frames), source_name, path
        if len(frames) > 1:
            self._play_locked(sender, frames, source_name, first_shared=True)
        return Shared(key, system_v_key(key, kind), sequence, image.size, image.mode, source_name,
                      datetime.datetime.now(), len(frames), kind)

    def _play_locked(self, sender: ImageSender, frames: Sequence[Frame], source_name: str, *,
                     first_shared: bool = False) -> None:
        self._player = Player(sender, list(frames), source_name, on_frame=self.events.frame,
                              on_error=self.events.failed, first_shared=first_shared, loop=self._loop,
                              on_end=self.events.ended).start()

    def _stop_player_locked(self) -> None:
        player, self._player = self._player, None
        if player is not None:
            player.stop()  # its thread never waits for the mutex

    def _drop_watch_locked(self) -> list[FileWatcher[list[Frame]]]:
        watch, self._watch = self._watch, None
        return [watch.watcher] if watch is not None and watch.watcher is not None else []

    def _start_watcher_locked(self, path: str) -> None:
        watch = self._watch = _Watch(path)

        def changed(frames: list[Frame]) -> None:
            try:
                with self._mutex:
                    sender = self._sender
                    if self._watch is not watch or sender is None or self._closed:
                        return  # stopped or replaced meanwhile: never share over something newer
                    shared = self._share_locked(sender.key, sender.kind, frames, self._source_name,
                                                watch.path)
                    shared = self._with_watch(shared, watch.path)
            except ImgShareError as exc:
                if self.events.skipped:
                    self.events.skipped(exc)
                return
            if self.events.new_version:
                self.events.new_version(shared, frames)

        def broken(exc: ImgShareError) -> None:
            if self.events.skipped:
                self.events.skipped(exc)

        watch.watcher = FileWatcher(path, changed, broken, load=load_frames).start()

    def _with_watch(self, shared: Shared, was_watching: str | None) -> Shared:
        watch = self._watch
        if watch is not None:
            return replace(shared, watch=Watch.ON, watching=watch.path)
        if was_watching is not None:
            return replace(shared, watch=Watch.ENDED, stopped_watching=was_watching)
        return shared
