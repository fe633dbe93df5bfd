// expect: compile_error
// what: does not compile; g++'s diagnostics come back in stderr
int main() { return undefined_symbol; }
