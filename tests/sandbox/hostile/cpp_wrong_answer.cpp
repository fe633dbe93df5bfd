// expect: failed
// what: exit 3 = wrong answer
int main() { return 3; }
