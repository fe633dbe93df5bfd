# expect: passed
# what: tries unshare (new namespaces), mount and ptrace via libc; seccomp and the user namespace refuse
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
for name, call in (
    ("unshare", lambda: libc.unshare(0x10000000)),
    ("mount", lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)),
    ("ptrace", lambda: libc.ptrace(16, 1, None, None)),
):
    rc = call()
    print(name, "rc", rc, "errno", os.strerror(ctypes.get_errno()))
    if rc == 0:
        print("LEAK:", name, "succeeded")
