"""Development tools: the Compass stand-in server, the contract check, the demo and benchmarks."""

# A component ARI of the documented shape, for local runs against the stand-in. Here rather than
# in action_runner so that tests/conftest.py has it without loading the action (xdist's
# controller loads conftest.py before it starts the workers, and needs none of the action).
EXAMPLE_COMPONENT = (
    "ari:cloud:compass:83673fa7-fd28-4f4a-9738-f584064570a7:"
    "component/db43f86d-7f1e-4a6b-9c0d-1b2c3d4e5f60/1e475014-aaaa-bbbb-cccc-0123456789ab"
)
