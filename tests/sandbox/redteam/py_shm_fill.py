# expect: file_size
# limits: scratch_mb=16
# what: fills /dev/shm beyond the scratch limit (bounded only by the memory cgroup if /dev/shm has no size)
import itertools

for i in itertools.count():
    with open(f"/dev/shm/fill-{i}.bin", "wb") as fh:
        fh.write(b"\1" * (4 << 20))
    if i > 40:
        print("LEAK: wrote 168 MiB into /dev/shm")
        break
