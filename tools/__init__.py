"""Maintenance scripts run from the checkout (not shipped in the wheel)."""
