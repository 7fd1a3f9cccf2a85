"""Application services: the logic, and the owners of transactions."""
