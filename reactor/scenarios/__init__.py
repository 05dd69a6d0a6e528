"""Analysis scenarios: one TOML file of prompts per scenario, in Russian and English."""
