"""Import of agent logs into the ledger: plan what is new per file, run the pure readers of
``sources.agent_logs`` (in worker processes for large reads), de-duplicate and write."""
