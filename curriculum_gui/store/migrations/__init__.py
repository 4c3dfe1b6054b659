"""Alembic migrations of the store (a package so they ship in the wheel); run by :mod:`..migrate`."""
