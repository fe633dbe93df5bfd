# expect: compile_error
# what: a test harness reporting that the candidate does not parse exits 4
import sys

try:
    compile("def f(:\n  pass", "candidate", "exec")
except SyntaxError:
    sys.exit(4)
