"""Model presets (presets.toml) and their published architecture configs (configs/), as package data."""
