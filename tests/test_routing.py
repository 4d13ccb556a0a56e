"""What a command line means before the parser sees it (app/cli/routing.py): image files and --key
alone open the window, a mistyped verb stays an error, and which command lines need a display."""

from __future__ import annotations

from imgshare.cli.routing import opens_window, route
from imgshare.cli.verbs import COMMANDS


def test_files_and_key_alone_open_the_window(tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"")
    assert route([], COMMANDS) == ["gui"]
    assert route([str(photo)], COMMANDS) == ["gui", str(photo)]
    assert route(["--key", "demo"], COMMANDS) == ["gui", "--key", "demo"]
    assert route(["--key=demo", "a.png", "b.jpg"], COMMANDS) == ["gui", "--key", "demo", "a.png", "b.jpg"]
    assert route(["--", "-odd name.png"], COMMANDS) == ["gui", "-odd name.png"]
    assert route(["--key"], COMMANDS) == ["gui", "--key"]  # the gui parser says the value is missing


def test_verbs_and_mistakes_are_left_to_the_parser():
    for argv in (["send", "x.png"], ["--version"], ["-h"], ["recieve"], ["--key", "k", "send"]):
        assert route(argv, COMMANDS) == argv


def test_which_command_lines_need_a_display():
    for verb in COMMANDS:
        assert opens_window([verb], COMMANDS) == (verb in ("gui", "self-test")), verb
    assert opens_window([], COMMANDS) and opens_window(["--key", "k"], COMMANDS)
    assert opens_window(["photo.png"], COMMANDS)
    assert not opens_window(["--version"], COMMANDS) and not opens_window(["recieve"], COMMANDS)
