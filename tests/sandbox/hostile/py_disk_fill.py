# expect: file_size
# what: fills the scratch dir with many small-enough files; the size-limited tmpfs stops it (ENOSPC)
import itertools

for i in itertools.count():
    with open(f"fill-{i}.bin", "wb") as fh:
        fh.write(b"\0" * (8 << 20))
