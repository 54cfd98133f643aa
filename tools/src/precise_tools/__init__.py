"""Developer and tester tools that are not services."""
