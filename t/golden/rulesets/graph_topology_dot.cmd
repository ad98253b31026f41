graph ../rules/architecture --ctx ../rules/architecture/examples/large.json --decision topology --format dot
