graph ../rules/architecture --ctx ../rules/architecture/examples/medium.json --decision topology
