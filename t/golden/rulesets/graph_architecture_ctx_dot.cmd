graph ../rules/architecture --ctx ../rules/architecture/examples/impossible-sla.json --format dot
