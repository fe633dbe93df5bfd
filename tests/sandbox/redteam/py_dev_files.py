# expect: passed
# what: leaves files and a directory under /dev and tries to fill /dev (an unbounded tmpfs if writable)
import os

for action in (
    lambda: open("/dev/left-by-hostile", "w").write("LEFTOVER"),
    lambda: os.mkdir("/dev/left-dir"),
    lambda: os.symlink("/sandbox", "/dev/left-link"),
    lambda: open("/dev/big", "wb").write(b"\0" * (96 << 20)),
):
    try:
        action()
        print("wrote under /dev")
    except OSError as exc:
        print("denied", exc)
