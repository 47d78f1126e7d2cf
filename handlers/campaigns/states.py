"""Conversation states of the campaign composer."""

from aiogram.fsm.state import State, StatesGroup


class CampaignForm(StatesGroup):
    text = State()
    photo = State()
    product = State()
    coupon = State()
    audience_value = State()
    schedule_time = State()
