"""Persistence: subjects, published curricula, the event log and metrics (SQLAlchemy Core). No Qt."""
