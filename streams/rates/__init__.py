"""Rolling-rate alerts: payment failure spikes, on-time rate and satisfaction under target,
and silent sources. Windows are kept in worker state, by event time."""
