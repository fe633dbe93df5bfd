# expect: passed
# what: reads a world-readable host secret (argv[5]), /etc/shadow, ssh keys and the checkout
import glob
import os
import sys

targets = [sys.argv[5], "/etc/shadow", "/etc/passwd", "/root/.ssh/id_rsa", "/work/main/pyproject.toml"]
targets += glob.glob("/home/*/.ssh/*") + glob.glob("/work/*")
for path in targets:
    try:
        with open(path) as fh:
            print("LEAK:", path, fh.read(200))
    except OSError as exc:
        print(f"blocked {path}: {type(exc).__name__}")
print("visible root entries:", sorted(os.listdir("/")))
