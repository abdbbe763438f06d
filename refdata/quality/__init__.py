"""Great Expectations gates: the audit step of write-audit-publish."""
