# expect: memory
# limits: wall_s=10
# what: allocates without bound; RLIMIT_AS or the cgroup stops it
blocks = []
while True:
    blocks.append(bytearray(64 << 20))
