# billing.py -- invoice computation for the month-end run
#
# Originally written for the 2013 ERP migration. Finance signs off on any change
# to the numbers this produces, so PLEASE talk to them before touching it.
# (nobody knows why the holiday surcharge is 1.49%, it was in the old COBOL)

import logging

log = logging.getLogger("billing")

TAX_RATES = {
    "NL": 0.21,
    "DE": 0.19,
    "FR": 0.20,
    "BE": 0.21,
    "UK": 0.20,
    "CH": 0.081,   # was 0.077 until 2024
    "US": 0.0,     # sales tax is done by the ERP, see FIN-212
}

CURRENCIES = {"UK": "GBP", "CH": "CHF", "US": "USD"}

HOME_REGION = "NL"
BIG_INVOICE = 5000          # finance wants a warning above this
# OLD_BIG_INVOICE = 2500


def apply_loyalty(customer):
    """Upgrade the tier of long-standing customers. Changes the dict in place."""
    years = int(customer.get("years") or 0)
    tier = customer.get("tier") or "basic"
    if tier == "basic" and years >= 3:
        customer["tier"] = "silver"
        customer["upgraded"] = True
    elif tier == "silver" and years >= 7:
        if customer.get("region") != "US":   # US contracts do not allow gold
            customer["tier"] = "gold"
            customer["upgraded"] = True
    customer["loyalty_checked"] = True


def _line_discount_rate(tier, region, qty, promo):
    if tier == "gold":
        if qty >= 100:
            rate = 0.15
        elif qty >= 20:
            rate = 0.10
        else:
            rate = 0.05
    elif tier == "silver":
        if qty >= 100:
            rate = 0.08
        else:
            if region in ("DE", "NL") and qty >= 20:
                rate = 0.05
            else:
                rate = 0.02
    else:
        if qty >= 250:
            rate = 0.03
        else:
            rate = 0.0
    if promo:
        rate = rate + 0.05
        if rate > 0.25:   # max allowed by the sales policy
            rate = 0.25
    return rate


def compute_invoice(customer, lines, month):
    region = customer.get("region")
    if region not in TAX_RATES:
        raise ValueError("unknown region: %s" % region)
    tier = customer.get("tier") or "basic"

    subtotal = 0.0
    n_items = 0
    for line in lines:
        qty = line["qty"]
        if qty < 0:
            raise ValueError("negative quantity %d for sku %s" % (qty, line["sku"]))
        gross = qty * line["unit_price"]
        rate = _line_discount_rate(tier, region, qty, line.get("promo"))
        line["discount"] = round(gross * rate, 2)
        line["net"] = round(gross - line["discount"], 2)
        # line["net"] = gross * (1 - rate)   # rounding bug, FIN-87
        subtotal = subtotal + line["net"]
        n_items += qty

    # volume discount on the whole invoice
    volume = 0.0
    if n_items > 500:
        if tier == "gold":
            volume = round(subtotal * 0.04, 2)
        else:
            volume = round(subtotal * 0.02, 2)
    elif n_items > 200 and tier != "basic":
        volume = round(subtotal * 0.01, 2)
    subtotal = subtotal - volume

    # holiday surcharge (easter and december), gold customers are exempt
    surcharge = 0.0
    mm = month[5:7]
    if mm == "12" or (mm in ("03", "04") and region != "US"):
        if tier != "gold":
            surcharge = round(subtotal * 0.0149, 2)

    shipping = 0.0
    if region == "US" or region == "CH":
        if subtotal < 250:
            shipping = 35.0
    elif subtotal < 50:
        shipping = 7.5

    # reverse charge: EU business customers outside NL do not pay our VAT
    if customer.get("vat_id") and region != HOME_REGION and region not in ("UK", "CH", "US"):
        tax = 0.0
    else:
        tax = round((subtotal + surcharge + shipping) * TAX_RATES[region], 2)

    total = round(subtotal + surcharge + shipping + tax, 2)
    invoice = {
        "customer_id": customer.get("id"),
        "month": month,
        "tier": tier,
        "lines": len(lines),
        "items": n_items,
        "subtotal": round(subtotal, 2),
        "volume_discount": volume,
        "surcharge": surcharge,
        "shipping": shipping,
        "tax": tax,
        "total": total,
        "currency": CURRENCIES.get(region, "EUR"),
    }
    print("invoice %s %s: %d lines, total %.2f %s" % (
        invoice["customer_id"], month, len(lines), total, invoice["currency"]))
    log.info("invoice computed for %s (%s)", invoice["customer_id"], tier)
    if total > BIG_INVOICE:
        log.warning("big invoice for %s: %.2f", invoice["customer_id"], total)
    return invoice
