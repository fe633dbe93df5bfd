// expect: runtime_error
// what: an uncaught exception
throw new Error("candidate crashed");
