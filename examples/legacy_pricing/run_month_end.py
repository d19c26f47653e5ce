#!/usr/bin/env python
# Month end billing run.
#
#   usage: python run_month_end.py 2024-03
#
# Runs from cron on the billing box (cwd is /), so everything is relative to this file.

import csv
import logging
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)   # cron...

import billing
from shop import Cart

CUSTOMERS_FILE = os.path.join(HERE, "customers.csv")
DISPUTED = ["C006", "C019"]    # finance asked to double check these (mail from Ingrid, 2022)


def parse_orders(raw):
    # orders are packed as sku:qty:price;sku:qty:price, a "*" after the sku means promo
    lines = []
    if not raw:
        return lines
    for chunk in raw.split(";"):
        sku, qty, price = chunk.split(":")
        promo = sku.endswith("*")
        if promo:
            sku = sku[:-1]
        lines.append({"sku": sku, "qty": int(qty), "unit_price": float(price), "promo": promo})
    return lines


def main(argv):
    if len(argv) < 2:
        print("usage: run_month_end.py YYYY-MM")
        return 2
    month = argv[1]
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    f = open(CUSTOMERS_FILE, newline="", encoding="utf-8")
    rows = list(csv.DictReader(f))
    f.close()

    invoices = []
    by_id = {}
    carts = {}
    skipped = 0
    web_total = 0.0
    upgraded = []
    for row in rows:
        customer = dict(row)
        raw_orders = customer.pop("orders")
        channel = customer.pop("channel")
        coupon = customer.pop("coupon") or None
        billing.apply_loyalty(customer)
        if customer.get("upgraded") and customer["id"] not in upgraded:
            upgraded.append(customer["id"])
        lines = parse_orders(raw_orders)
        try:
            inv = billing.compute_invoice(customer, lines, month)
        except ValueError as e:
            print("skipped %s: %s" % (customer["id"], e))
            skipped += 1
            continue
        invoices.append(inv)
        by_id[customer["id"]] = (customer, lines, inv)

        if channel == "web":
            cid = customer["id"]
            if cid in carts:
                cart = carts[cid]     # export sometimes has the same customer twice
            elif lines:
                cart = Cart.from_rows([
                    {"customer_id": cid, "tier": customer["tier"], "sku": l["sku"],
                     "qty": l["qty"], "price": l["unit_price"]} for l in lines])
                carts[cid] = cart
            else:
                cart = Cart(cid)
                carts[cid] = cart
            try:
                web_total += cart.checkout(coupon)
            except RuntimeError as e:
                print("skipped cart %s: %s" % (cid, e))
                skipped += 1

    # reconciliation for disputed accounts: recompute and compare
    for cid in DISPUTED:
        if cid not in by_id:
            continue
        customer, lines, old = by_id[cid]
        again = billing.compute_invoice(customer, lines, month)
        if again["total"] != old["total"]:
            print("!! %s does not reconcile: %.2f vs %.2f" % (cid, old["total"], again["total"]))
        else:
            print("reconciled %s" % cid)

    totals = {}
    for inv in invoices:
        totals[inv["currency"]] = totals.get(inv["currency"], 0.0) + inv["total"]
    biggest = max(invoices, key=lambda i: i["total"])
    print("")
    print("=== month end %s ===" % month)
    print("invoices:  %d" % len(invoices))
    print("skipped:   %d" % skipped)
    for cur in sorted(totals):
        print("total %s: %12.2f" % (cur, round(totals[cur], 2)))
    print("web shop:  %12.2f (%d carts)" % (web_total, len(carts)))
    print("biggest:   %s %.2f %s" % (biggest["customer_id"], biggest["total"], biggest["currency"]))
    print("upgraded:  %s" % (", ".join(upgraded) or "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
