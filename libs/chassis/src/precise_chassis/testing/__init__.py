"""Test support shipped with the chassis: reaching the local profile's real services, fakes for unit tests."""
