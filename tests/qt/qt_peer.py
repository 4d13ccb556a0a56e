"""A real Qt program for the tests: the shared-memory demo's steps, run with PySide6 in its own process.

    python qt_peer.py send KEY IMAGE_FILE     load the file into a QImage, `out << image` into a QBuffer,
                                               QSharedMemory.create(size), lock, copy, unlock; print
                                               "shared FORMAT", then serve until stdin closes; detach.
    python qt_peer.py receive KEY OUT_PREFIX   attach, lock, `in >> image`, unlock, detach; write
                                               OUT_PREFIX.json (format, size, colour table), .rgba
                                               (RGBA8888 rows) and, for indexed images, .idx (indices).
                                               Exit 3 if attach fails, 4 if the image is null.
    python qt_peer.py sendmany KEY            for each IMAGE_FILE line read from stdin, share it as the demo's
                                               loadFromFile() does (detach, create anew, copy); print
                                               "shared N" after each; detach when stdin closes.
    python qt_peer.py hold KEY                 attach and lock; print "locked"; unlock when stdin closes.
    python qt_peer.py stream VERSION IMAGE_FILE OUT   write `out << image` at a QDataStream version.
    python qt_peer.py keys KEY...              print JSON: each key's native shared-memory and semaphore keys.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import (  # noqa: E402
    QBuffer,
    QByteArray,
    QCoreApplication,
    QDataStream,
    QIODevice,
    QSharedMemory,
    QSystemSemaphore,
    qVersion,
)
from PySide6.QtGui import QImage  # noqa: E402


def fail(code: int, message: str) -> None:
    print(message, file=sys.stderr, flush=True)
    sys.exit(code)


def stream_of(image: QImage, version: int | None = None) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.ReadWrite)
    out = QDataStream(buffer)
    if version is not None:
        out.setVersion(version)
    out << image
    return bytes(buffer.data().data())


def send(key: str, path: str) -> None:
    image = QImage(path)
    if image.isNull():
        fail(1, f"cannot load {path}")
    data = stream_of(image)
    memory = QSharedMemory(key)
    if not memory.create(len(data)):
        fail(7, f"create: {memory.errorString()}")
    memory.lock()
    memory.data()[:len(data)] = data
    memory.unlock()
    print(f"shared {image.format().name} qt {qVersion()}", flush=True)
    sys.stdin.read()  # serve until the test closes our stdin
    memory.detach()


def send_many(key: str) -> None:
    memory = QSharedMemory(key)
    for count, line in enumerate(sys.stdin, 1):
        image = QImage(line.strip())
        if image.isNull():
            fail(1, f"cannot load {line.strip()}")
        data = stream_of(image)
        if memory.isAttached():
            memory.detach()
        if not memory.create(len(data)):
            fail(7, f"create: {memory.errorString()}")
        memory.lock()
        memory.data()[:len(data)] = data
        memory.unlock()
        print(f"shared {count}", flush=True)
    memory.detach()


def receive(key: str, prefix: str) -> None:
    memory = QSharedMemory(key)
    if not memory.attach():
        fail(3, f"attach: {memory.errorString()}")
    buffer = QBuffer()
    stream = QDataStream(buffer)
    image = QImage()
    memory.lock()
    buffer.setData(QByteArray(bytes(memory.constData())))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    stream >> image
    memory.unlock()
    memory.detach()
    if image.isNull():
        fail(4, "null image")
    dump(image, prefix)


def dump(image: QImage, prefix: str) -> None:
    width, height = image.width(), image.height()
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    with open(prefix + ".rgba", "wb") as f:
        bits, stride = bytes(rgba.constBits()), rgba.bytesPerLine()
        f.write(b"".join(bits[y * stride:y * stride + width * 4] for y in range(height)))
    if image.format() == QImage.Format.Format_Indexed8:
        bits, stride = bytes(image.constBits()), image.bytesPerLine()
        with open(prefix + ".idx", "wb") as f:
            f.write(b"".join(bits[y * stride:y * stride + width] for y in range(height)))
    with open(prefix + ".json", "w") as f:
        json.dump({"format": image.format().name, "width": width, "height": height,
                   "colors": [image.color(i) for i in range(image.colorCount())], "qt": qVersion()}, f)


def hold(key: str) -> None:
    memory = QSharedMemory(key)
    if not memory.attach():
        fail(3, f"attach: {memory.errorString()}")
    memory.lock()
    print("locked", flush=True)
    sys.stdin.read()
    memory.unlock()
    memory.detach()


def write_stream(version: int, path: str, out: str) -> None:
    image = QImage(path) if path != "-" else QImage()
    with open(out, "wb") as f:
        f.write(stream_of(image, version))


def keys(names: list[str]) -> None:
    print(json.dumps({name: [QSharedMemory(name).nativeKey(),
                             QSystemSemaphore.legacyNativeKey(name).nativeKey()] for name in names}))


def main() -> None:
    app = QCoreApplication(sys.argv[:1])  # noqa: F841 (Qt's plugins want an application object)
    command, args = sys.argv[1], sys.argv[2:]
    if command == "send":
        send(*args)
    elif command == "sendmany":
        send_many(*args)
    elif command == "receive":
        receive(*args)
    elif command == "hold":
        hold(*args)
    elif command == "stream":
        write_stream(int(args[0]), args[1], args[2])
    elif command == "keys":
        keys(args)
    else:
        fail(2, f"unknown command {command}")


if __name__ == "__main__":
    main()
