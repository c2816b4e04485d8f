"""Use cases, one module per domain. Business rules are pure functions taking `now`."""
