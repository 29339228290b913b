"""Development tools: the Compass stand-in server, the contract check, the demo and benchmarks."""
