"""Qt user interface. The only layer that imports Qt."""
