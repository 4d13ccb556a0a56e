"""Run inside a private IPC namespace (`unshare --ipc`), where kernel limits may be changed without
touching the machine's: shares under tightened limits and prints one JSON line of what happened.

Issue 18.7: with no free segment id (SHMMNI) protocol 2 destroyed the current image while moving and
blamed SHMMAX; with no free semaphore set (SEMMNI) it raised an internal OSError; with SEMMSL below 8 it
said "another program" and the refused sender left its segment.
"""

import json
import sys

from PIL import Image

from imgshare.exit_codes import exit_code_for
from imgshare.ipc import ImgShareError, Receiver, Sender
from imgshare.ipc.sysv.procfs import sem_rows, shm_rows


def write(name: str, value: str) -> None:
    with open(f"/proc/sys/kernel/{name}", "w") as f:
        f.write(value)


def sem_limits(semmsl: int, semmni: int) -> None:
    write("sem", f"{semmsl} 1024000000 500 {semmni}")


def attempt(action) -> dict:
    try:
        return {"ok": action()}
    except ImgShareError as exc:
        return {"error": type(exc).__name__, "exit": exit_code_for(exc), "message": str(exc)}


report: dict[str, object] = {}
# SHMMNI: a share uses its control segment and a data segment per slot used; with room for three
# segments, a third image that fits neither data segment needs a fourth: refused, the last stays.
write("shmmni", "3")
sender = Sender("limits-shmmni")
report["first"] = attempt(lambda: sender.share(Image.new("L", (40, 30), 7)))
report["second"] = attempt(lambda: sender.share(Image.new("RGB", (400, 300), (1, 2, 3))))
report["third"] = attempt(lambda: sender.share(Image.new("RGB", (500, 300), (1, 2, 3))))
image, info = Receiver("limits-shmmni").receive()
report["still"] = [image.mode, list(image.size), info.sequence]
sender.close()
write("shmmni", "4096")
report["segments_after_shmmni"] = len(shm_rows())
# SEMMNI: one set allowed; a second key's sender is refused with a sentence, and leaves nothing.
sem_limits(250, 1)
first = Sender("limits-a")
report["a"] = attempt(lambda: first.share(Image.new("L", (4, 4))))
report["b"] = attempt(lambda: Sender("limits-b").share(Image.new("L", (4, 4))))
report["objects_after_semmni"] = [len(shm_rows()), len(sem_rows())]
first.close()
# SEMMSL 6: two slots (a set of 6) still work; SEMMSL 5: refused with a sentence, nothing left.
sem_limits(6, 32000)
with Sender("limits-six") as six:
    report["six"] = attempt(lambda: six.share(Image.new("L", (4, 4))))
    report["six_nsems"] = [row["nsems"] for row in sem_rows()]
    report["six_read"] = attempt(lambda: Receiver("limits-six").receive()[1].sequence)
sem_limits(5, 32000)
report["five"] = attempt(lambda: Sender("limits-five").share(Image.new("L", (4, 4))))
report["objects_after_semmsl"] = [len(shm_rows()), len(sem_rows())]
json.dump(report, sys.stdout)
