# expect: output_limit
# what: floods stderr
import os

while True:
    os.write(2, b"E" * 65536)
