"""One trading day at the shop: the catalog, the day's offers, and each basket's receipt.

python run_day.py
"""

from catalog import SupermarketCatalog, load_rows
from model_objects import SpecialOfferType
from shopping_cart import ShoppingCart
from teller import Teller, print_receipt

PRICES = """
toothbrush; EACH; 0.99
apples; KILO; 1.99
rice; EACH; 2.49
toothpaste; EACH; 1.79
cherry tomatoes; EACH; 0.69
"""

BASKETS = [
    [("toothbrush", 3)],
    [("apples", 2.5), ("rice", 1)],
    [("toothpaste", 5), ("cherry tomatoes", 2)],
    [("cherry tomatoes", 3), ("toothbrush", 1), ("apples", 0.75)],
    [("rice", 2), ("toothpaste", 7)],
]


def main():
    catalog = SupermarketCatalog.with_products(load_rows(PRICES))
    teller = Teller(catalog)
    products = catalog.products
    teller.add_special_offer(SpecialOfferType.THREE_FOR_TWO, products["toothbrush"], 0)
    teller.add_special_offer(SpecialOfferType.TEN_PERCENT_DISCOUNT, products["rice"], 10.0)
    teller.add_special_offer(SpecialOfferType.FIVE_FOR_AMOUNT, products["toothpaste"], 7.49)
    teller.add_special_offer(SpecialOfferType.TWO_FOR_AMOUNT, products["cherry tomatoes"], 0.99)
    for number, basket in enumerate(BASKETS, 1):
        cart = ShoppingCart()
        for name, quantity in basket:
            if quantity == 1:
                cart.add_item(products[name])
            else:
                cart.add_item_quantity(products[name], quantity)
        receipt = teller.checks_out_articles_from(cart)
        print(f"--- basket {number}")
        print(print_receipt(receipt))


if __name__ == "__main__":
    main()
