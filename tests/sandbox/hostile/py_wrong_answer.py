# expect: failed
# what: a test program whose assertion fails exits 3 (wrong answer, by the exit-code contract)
import sys

sys.exit(3)
