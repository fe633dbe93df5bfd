# expect: passed
# anomaly: yes (the host finds what it changed or left; its server is replaced)
# what: leaves secret files in /sandbox, /tmp and /dev/shm with names the next job looks for
for path in ("/sandbox/secret.txt", "/tmp/secret.txt", "/dev/shm/secret.txt", "/sandbox/candidate.py"):
    try:
        open(path, "w").write("def f():\n    return 2\n")
    except OSError as exc:
        print("denied", path, exc)
