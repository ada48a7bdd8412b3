"""Helpers for the embed tests: warehouses to read from and a stand-in for Supabase's REST gateway."""
