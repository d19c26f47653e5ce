"""Prices, kept in memory: the real shop read them from a mainframe export."""

from model_objects import Product, ProductUnit


class SupermarketCatalog:
    def __init__(self):
        self.products = {}
        self.prices = {}
        self.aisles = set()

    def add_product(self, product, price):
        self.products[product.name] = product
        self.prices[product.name] = price
        self.aisles.add(product.name.split()[-1])

    def unit_price(self, product):
        return self.prices[product.name]

    @staticmethod
    def round_price(amount):
        return round(amount + 0.0000001, 2)

    @classmethod
    def with_products(cls, rows):
        catalog = cls()
        for name, unit, price in rows:
            catalog.add_product(Product(name, ProductUnit[unit]), price)
        return catalog


def load_rows(text):
    """``name;unit;price`` lines, as the export wrote them."""
    rows = []
    for line in text.strip().splitlines():
        name, unit, price = line.split(";")
        rows.append((name.strip(), unit.strip(), float(price)))
    return rows
