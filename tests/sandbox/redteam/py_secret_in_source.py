# expect: passed
# what: holds a distinctive secret in its source; the next job scans its own memory for it (the test fills in the secret)
SECRET = "@@SECRET@@"
print(len(SECRET))
