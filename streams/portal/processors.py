"""Portal events: raw rows (v_portal_daily counts them exactly) and rating signals."""

from cityops.contract import PORTAL
from streams.context import Context
from streams.rates.signals import rating_signal
from streams.source_processor import register_source


def register(ctx: Context) -> None:
    register_source(ctx, PORTAL, rating_signal)
