"""The demo wall's generated data (events, flows, auth, ops, news, changes) and `socwall demo`."""
