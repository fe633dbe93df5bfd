# expect: passed
# what: tries to overwrite, delete and create files next to a world-writable host canary (argv[1] = canary dir)
import os
import sys

canary_dir = sys.argv[1]
for action in ("overwrite", "delete", "create"):
    try:
        if action == "overwrite":
            with open(os.path.join(canary_dir, "canary.txt"), "w") as fh:
                fh.write("PWNED")
        elif action == "delete":
            os.remove(os.path.join(canary_dir, "canary.txt"))
        else:
            with open(os.path.join(canary_dir, "dropped.txt"), "w") as fh:
                fh.write("PWNED")
        print(f"LEAK: {action} succeeded")
    except OSError as exc:
        print(f"blocked {action}: {type(exc).__name__}")
