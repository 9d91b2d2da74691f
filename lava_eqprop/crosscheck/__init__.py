"""The three-way cross-check: NumPy engine, Lava (float and fixed point) and Brian2."""
