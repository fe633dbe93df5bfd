# expect: passed
# what: a 420 MiB SysV segment, touched so it is charged to the slot's memory, left behind to starve later jobs
import ctypes

libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
size = 420 << 20
shmid = libc.shmget(0x5EEE, ctypes.c_size_t(size), 0o1666)
if shmid < 0:
    print("denied shmget errno", ctypes.get_errno())
else:
    address = libc.shmat(shmid, None, 0)
    if address in (None, ctypes.c_void_p(-1).value):
        print("shmat failed", ctypes.get_errno())
    else:
        ctypes.memset(address, 1, size)
        print("segment of 420 MiB left", shmid)
