"""Usage metering: events, counters per window, atomic consumption, threshold webhooks."""
