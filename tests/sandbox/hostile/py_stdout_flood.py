# expect: output_limit
# what: floods stdout; the capped reader kills it
import sys

line = "A" * 4096 + "\n"
while True:
    sys.stdout.write(line)
