eval ../rules/architecture --ctx ../rules/architecture/examples/impossible-sla.json --explain --decision framework
