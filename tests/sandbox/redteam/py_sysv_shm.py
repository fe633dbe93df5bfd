# expect: passed
# what: creates a SysV shared memory segment (key 0x5eed) holding a secret and leaves it for the next job
import ctypes

libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
shmid = libc.shmget(0x5EED, 4096, 0o1666)  # IPC_CREAT | 0666
if shmid < 0:
    print("denied shmget errno", ctypes.get_errno())
else:
    address = libc.shmat(shmid, None, 0)
    if address not in (None, ctypes.c_void_p(-1).value):
        ctypes.memmove(address, b"LEFTOVER", 8)
    print("segment left", shmid)
