"""The bottom layer: settings, the warehouse connection and lock, typed errors, process helpers."""
