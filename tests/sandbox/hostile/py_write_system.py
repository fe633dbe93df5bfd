# expect: passed
# what: tries to write into /usr, /etc, /root and /tmp of the host

for path in ("/usr/codeeff-pwned", "/etc/codeeff-pwned", "/root/codeeff-pwned", "/var/tmp/codeeff-pwned"):
    try:
        with open(path, "w") as fh:
            fh.write("PWNED")
        print(f"LEAK: wrote {path}")
    except OSError as exc:
        print(f"blocked {path}: {type(exc).__name__}")
