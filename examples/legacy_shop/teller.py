"""The till: offers keyed by the catalog's Product objects, and the receipt it prints."""

from catalog import SupermarketCatalog
from model_objects import Offer


class ReceiptItem:
    def __init__(self, product, quantity, price, total_price):
        self.product = product
        self.quantity = quantity
        self.price = price
        self.total_price = total_price


class Receipt:
    def __init__(self):
        self._items = []
        self._discounts = []

    def total_price(self):
        total = 0
        for item in self._items:
            total += item.total_price
        for discount in self._discounts:
            total += discount.discount_amount
        return SupermarketCatalog.round_price(total)

    def add_product(self, product, quantity, price, total_price):
        self._items.append(ReceiptItem(product, quantity, price, total_price))

    def add_discount(self, discount):
        self._discounts.append(discount)

    @property
    def items(self):
        return self._items[:]

    @property
    def discounts(self):
        return self._discounts[:]


class Teller:
    def __init__(self, catalog):
        self.catalog = catalog
        self.offers = {}

    def add_special_offer(self, offer_type, product, argument):
        self.offers[product] = Offer(offer_type, product, argument)

    def checks_out_articles_from(self, the_cart):
        receipt = Receipt()
        for pq in the_cart.items:
            unit_price = self.catalog.unit_price(pq.product)
            price = pq.quantity * unit_price
            receipt.add_product(pq.product, pq.quantity, unit_price, price)
        the_cart.handle_offers(receipt, self.offers, self.catalog)
        return receipt


def print_receipt(receipt, width=32):
    """The receipt as the till printer prints it."""
    lines = []
    for item in receipt.items:
        price = "%.2f" % item.total_price
        name = item.product.label
        lines.append(name + " " * (width - len(name) - len(price)) + price)
        if item.quantity != 1:
            lines.append("  %.3f x %.2f" % (item.quantity, item.price))
    for discount in receipt.discounts:
        amount = "%.2f" % discount.discount_amount
        text = discount.description + " (" + discount.product.name + ")"
        lines.append(text + " " * max(1, width - len(text) - len(amount)) + amount)
    total = "%.2f" % receipt.total_price()
    lines.append("Total:" + " " * (width - 6 - len(total)) + total)
    return "\n".join(lines)
