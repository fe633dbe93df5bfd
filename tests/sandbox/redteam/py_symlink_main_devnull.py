# expect: passed
# anomaly: yes (the host finds what it changed or left; its server is replaced)
# what: leaves main.py and candidate.py as symlinks to /dev/null and /sandbox mode 0300, so a runner writing the next job's files would write through the links
import os

for name in ("main.py", "candidate.py", "py_symlink_main_devnull.py"):
    try:
        os.unlink(f"/sandbox/{name}")
    except OSError:
        pass
    try:
        os.symlink("/dev/null", f"/sandbox/{name}")
    except OSError as exc:
        print("denied symlink", name, exc)
try:
    os.chmod("/sandbox", 0o300)
except OSError as exc:
    print("denied chmod", exc)
