graph ../rules/architecture
