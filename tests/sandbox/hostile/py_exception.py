# expect: runtime_error
# what: an uncaught exception
raise ValueError("candidate crashed")
