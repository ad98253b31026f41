graph ../rules/architecture --format dot
