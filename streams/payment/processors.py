"""Payments: raw rows (v_payment_daily counts them exactly) and failure signals."""

from cityops.contract import PAYMENT
from streams.context import Context
from streams.rates.signals import payment_signal
from streams.source_processor import register_source


def register(ctx: Context) -> None:
    register_source(ctx, PAYMENT, payment_signal)
