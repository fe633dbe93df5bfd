# expect: passed
# what: creates a POSIX message queue /codeeff-redteam with a message in it and leaves it for the next job
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
mqd = libc.mq_open(b"/codeeff-redteam", os.O_CREAT | os.O_RDWR, 0o666, None)
if mqd < 0:
    print("denied mq_open errno", ctypes.get_errno())
else:
    print("mq_send", libc.mq_send(mqd, b"LEFTOVER", 8, 0), "queue left")
