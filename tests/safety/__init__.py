"""Bad input and property-based tests: every parser answers hostile input with a clear error or a counted skip."""
