# expect: passed
# anomaly: yes (the host finds what it changed or left; its server is replaced)
# what: renames, hard-links and truncates its own main file and plants a candidate.py for the next job
import os

me = os.path.abspath(__file__)
for name, action in (
    ("rename", lambda: os.rename(me, "/sandbox/moved.py")),
    ("link", lambda: os.link(me, "/tmp/linked.py")),
    ("truncate", lambda: open(me, "w").close()),
    ("chmod", lambda: os.chmod(me, 0o777)),
    ("plant", lambda: open("/sandbox/candidate.py", "w").write("def f():\n    return 2\n")),
):
    try:
        action()
        print("did", name)
    except OSError as exc:
        print("denied", name, exc.strerror)
