# shop.py -- web shop cart. Ported from the PHP shop in 2016.
# TODO: use billing.TAX_RATES instead of the flat TAX (ticket WEB-311, open since 2017)


class LineItem(object):
    def __init__(self, sku, qty, price):
        self.sku = sku
        self.qty = qty
        self.price = price
        self.flag = None    # set by checkout: "ok", "bulk" or "free"

    def __repr__(self):
        return "LineItem(%r, %r, %r, flag=%r)" % (self.sku, self.qty, self.price, self.flag)


class Cart(object):
    TAX = 0.21
    COUPONS = {
        "SPRING10": 0.10,   # percentages below 1, fixed amounts above
        "WELCOME5": 5.0,
        "STAFF30": 0.30,
        # "XMAS2019": 0.15,
    }

    class Policy(object):
        LIMITS = {"basic": 0.10, "silver": 0.20, "gold": 0.30}

        def __init__(self, strict=False):
            self.strict = strict

        def max_discount(self, tier):
            if tier in self.LIMITS:
                return self.LIMITS[tier]
            if self.strict:
                raise KeyError(tier)
            return 0.0

    def __init__(self, customer_id):
        self.customer_id = customer_id
        self.tier = "basic"
        self.items = []
        self.status = "open"
        self.paid_total = None
        self.policy = Cart.Policy()

    @classmethod
    def from_rows(cls, rows):
        cart = None
        for r in rows:
            if cart is None:
                cart = cls(r["customer_id"])
                cart.tier = r.get("tier") or "basic"
            cart.add(r["sku"], int(r["qty"]), float(r["price"]))
        return cart

    @staticmethod
    def round_money(x):
        return round(x + 0.0000001, 2)   # don't ask (PHP rounding compat)

    def add(self, sku, qty, price):
        if self.status != "open":
            raise RuntimeError("cart %s is %s" % (self.customer_id, self.status))
        for it in self.items:
            if it.sku == sku and it.price == price:
                it.qty = it.qty + qty
                return it
        item = LineItem(sku, qty, price)
        self.items.append(item)
        return item

    def checkout(self, coupon=None):
        if self.status == "paid":
            raise RuntimeError("cart %s already checked out" % self.customer_id)
        if not self.items:
            raise RuntimeError("cannot check out empty cart %s" % self.customer_id)
        subtotal = 0.0
        for it in self.items:
            if it.price == 0:
                it.flag = "free"
                continue
            if it.qty >= 10:
                it.flag = "bulk"
                it.price = self.round_money(it.price * 0.95)   # bulk price is stored back, WEB-97
            else:
                it.flag = "ok"
            subtotal += it.qty * it.price
        discount = 0.0
        if coupon:
            if coupon not in self.COUPONS:
                print("coupon %s unknown, ignored" % coupon)
            else:
                value = self.COUPONS[coupon]
                if value < 1:
                    discount = subtotal * value
                else:
                    discount = value
                cap = self.policy.max_discount(self.tier) * subtotal
                if discount > cap:
                    discount = cap
        total = self.round_money((subtotal - discount) * (1 + self.TAX))
        self.status = "paid"
        self.paid_total = total
        print("cart %s paid: %d items, total %.2f" % (self.customer_id, len(self.items), total))
        return total
