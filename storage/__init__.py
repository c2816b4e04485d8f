"""Persistence: SQLModel models, repositories (never commit), the unit of work (commits)."""
