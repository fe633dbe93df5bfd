# expect: file_size
# what: writes one ever-growing file; RLIMIT_FSIZE stops it (Python ignores SIGXFSZ, so write fails with EFBIG)
with open("big.bin", "wb") as fh:
    while True:
        fh.write(b"\0" * (1 << 20))
