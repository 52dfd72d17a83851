"""The parity stage (scripts/parity.py): each concern of its checks in one module."""
