"""Month-end invoicing: the legacy code under characterization.

generate_invoice reads the customer and its usage from the billing database (a
connection handed in by the caller), converts the price with today's rate from the rates
service, stamps the invoice with the current time, stores it, commits, and notifies the
service. write_report writes the month's CSV under out/ and says how long it took.
"""

import csv
import datetime
import json
import os
import time
import urllib.request

PLANS = {"basic": (0.12, 0), "pro": (0.09, 500), "enterprise": (0.07, 5000)}
MINIMUM = 9.0


def fetch_rate(base_url, currency):
    with urllib.request.urlopen(f"{base_url}/rates/{currency}", timeout=5) as response:
        return json.loads(response.read())["per_eur"]


def notify(base_url, message):
    request = urllib.request.Request(
        f"{base_url}/notifications",
        data=json.dumps(message, sort_keys=True).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())["id"]


def price(plan, units):
    per_unit, free = PLANS.get(plan, PLANS["basic"])
    amount = max(units - free, 0) * per_unit
    if units > 10000:
        amount = amount * 0.95  # volume discount
    return max(amount, MINIMUM)


def generate_invoice(conn, customer_id, month, rates_url):
    row = conn.execute(
        "SELECT name, plan, currency FROM customers WHERE id = ?", (customer_id,)
    ).fetchone()
    if row is None:
        raise KeyError(f"no customer {customer_id}")
    name, plan, currency = row
    units = conn.execute(
        "SELECT COALESCE(SUM(units), 0) FROM usage WHERE customer_id = ? AND month = ?",
        (customer_id, month),
    ).fetchone()[0]
    rate = fetch_rate(rates_url, currency)
    amount = round(price(plan, units) * rate, 2)
    issued = datetime.datetime.now().replace(microsecond=0)
    due = issued.date() + datetime.timedelta(days=30)
    conn.execute(
        "INSERT INTO invoices (customer_id, month, amount, currency, issued_at, due)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (customer_id, month, amount, currency, issued.isoformat(), due.isoformat()),
    )
    conn.commit()
    notice = notify(rates_url, {"customer": customer_id, "amount": amount, "currency": currency})
    return {
        "customer": name,
        "units": units,
        "amount": amount,
        "currency": currency,
        "issued": issued.isoformat(),
        "due": due.isoformat(),
        "notice": notice,
    }


def write_report(invoices, month):
    started = time.monotonic()
    os.makedirs("out", exist_ok=True)
    path = os.path.join("out", f"invoices-{month}.csv")
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer", "units", "amount", "currency", "issued", "due"])
        for invoice in invoices:
            writer.writerow([invoice[key] for key in ("customer", "units", "amount", "currency", "issued", "due")])
    elapsed = time.monotonic() - started
    print(f"wrote {len(invoices)} invoices to {path} in {elapsed:.6f} s")
    return path
