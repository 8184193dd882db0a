// The `edgeai` command. Stub.
int main() { return 0; }
