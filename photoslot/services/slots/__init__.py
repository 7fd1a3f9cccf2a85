"""The 15 slots: configuration, the views admins read, and the template images bound to them."""
