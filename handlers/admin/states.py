"""FSM states of the admin dialogs."""

from aiogram.fsm.state import State, StatesGroup


class NewProduct(StatesGroup):
    title_en = State()
    title_zh = State()
    description = State()
    category = State()
    price = State()
    photos = State()
    specs = State()
    stock = State()
    threshold = State()
    confirm = State()


class EditProduct(StatesGroup):
    find = State()
    value = State()
    photos = State()


class CategoryForm(StatesGroup):
    name = State()
    rename = State()


class StockForm(StatesGroup):
    quantity = State()


class StaffForm(StatesGroup):
    person = State()


class ImportForm(StatesGroup):
    file = State()
