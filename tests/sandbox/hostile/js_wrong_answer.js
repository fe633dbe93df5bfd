// expect: failed
// what: exit 3 = wrong answer
process.exit(3);
