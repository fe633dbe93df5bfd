# expect: passed
# what: plants symlinks from the scratch dir to host paths (canary dir argv[1], secret argv[5]) and follows them
import os
import sys

for name, target in (
    ("to-canary", os.path.join(sys.argv[1], "canary.txt")),
    ("to-secret", sys.argv[5]),
    ("to-root", "/root"),
    ("to-proc-root", "/proc/1/root/etc/hostname"),
):
    os.symlink(target, name)
    try:
        with open(name, "r+") as fh:
            print("LEAK:", name, fh.read(100))
            fh.write("PWNED")
    except OSError as exc:
        print(f"blocked {name}: {type(exc).__name__}")
