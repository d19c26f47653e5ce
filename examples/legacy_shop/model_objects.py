"""The shop's value objects, written before anyone thought about equality.

``Product`` has no ``__eq__`` or ``__hash__``: two products with the same name are
different keys, and the teller's offers are a dict keyed by the product objects the
catalog handed out.
"""

from enum import Enum


class ProductUnit(Enum):
    EACH = 1
    KILO = 2


class Product:
    def __init__(self, name, unit):
        self.name = name
        self.unit = unit

    @property
    def label(self):
        suffix = "/kg" if self.unit == ProductUnit.KILO else ""
        return self.name + suffix


class ProductQuantity:
    def __init__(self, product, quantity):
        self.product = product
        self.quantity = quantity


class SpecialOfferType(Enum):
    THREE_FOR_TWO = 1
    TEN_PERCENT_DISCOUNT = 2
    TWO_FOR_AMOUNT = 3
    FIVE_FOR_AMOUNT = 4


class Offer:
    def __init__(self, offer_type, product, argument):
        self.offer_type = offer_type
        self.product = product
        self.argument = argument


class Discount:
    def __init__(self, product, description, discount_amount):
        self.product = product
        self.description = description
        self.discount_amount = discount_amount
