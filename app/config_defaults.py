"""Constants shared by the CLI and the demo data."""

#: the demo accounts share one password; a cheaper hash keeps seeding fast (demo only)
DEMO_ARGON2 = {"time_cost": 2, "memory_cost": 19456}
