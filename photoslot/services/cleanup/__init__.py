"""The media cleanup: expired media, orphans both ways, abandoned jobs — one run at a time."""
