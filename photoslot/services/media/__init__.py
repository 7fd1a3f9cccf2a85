"""Media files: where they live, how long they are served, their thumbnails."""
