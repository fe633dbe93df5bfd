# expect: killed:SIGSEGV
# what: dereferences NULL through ctypes
import ctypes

ctypes.string_at(0)
