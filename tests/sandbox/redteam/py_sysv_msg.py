# expect: passed
# what: creates a SysV message queue (key 0x5eed) with a message in it and leaves it for the next job
import ctypes

libc = ctypes.CDLL(None, use_errno=True)
qid = libc.msgget(0x5EED, 0o1666)
if qid < 0:
    print("denied msgget errno", ctypes.get_errno())
else:
    message = ctypes.create_string_buffer(8 + 8)
    ctypes.memmove(ctypes.addressof(message), ctypes.byref(ctypes.c_long(1)), 8)
    ctypes.memmove(ctypes.addressof(message) + 8, b"LEFTOVER", 8)
    print("msgsnd", libc.msgsnd(qid, message, 8, 0), "queue left", qid)
