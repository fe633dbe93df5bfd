# expect: passed
# what: creates a SysV semaphore set (key 0x5eed) and leaves it for the next job
import ctypes

libc = ctypes.CDLL(None, use_errno=True)
semid = libc.semget(0x5EED, 4, 0o1666)
print("denied semget errno", ctypes.get_errno()) if semid < 0 else print("semaphores left", semid)
