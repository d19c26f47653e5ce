"""The month-end billing job: python run_billing.py 2024-03

Creates billing.db with the customers and their usage if it is missing, starts the rates
service on 127.0.0.1, bills every customer for the month, writes the report under out/,
and stops the service.
"""

import os
import random
import sqlite3
import sys

import invoicing
import rates_service

CURRENCIES = ["EUR", "USD", "GBP", "CHF"]
PLANS = ["basic", "pro", "enterprise"]
CUSTOMERS = int(os.environ.get("BILLING_CUSTOMERS", "60"))


def create_database(path):
    generator = random.Random(7)
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, plan TEXT, currency TEXT);
        CREATE TABLE usage (customer_id INTEGER, month TEXT, units INTEGER);
        CREATE TABLE invoices (customer_id INTEGER, month TEXT, amount REAL, currency TEXT,
                               issued_at TEXT, due TEXT);
        """
    )
    for customer in range(1, CUSTOMERS + 1):
        conn.execute(
            "INSERT INTO customers VALUES (?, ?, ?, ?)",
            (customer, f"customer-{customer:03d}", PLANS[customer % 3], CURRENCIES[customer % 4]),
        )
        for month in ("2024-02", "2024-03"):
            for _ in range(generator.randint(0, 3)):
                conn.execute(
                    "INSERT INTO usage VALUES (?, ?, ?)",
                    (customer, month, generator.choice([40, 300, 2500, 9000, 12000])),
                )
    conn.commit()
    conn.close()


def main(month):
    if not os.path.exists("billing.db"):
        create_database("billing.db")
    service, url = rates_service.start()
    conn = sqlite3.connect("billing.db")
    conn.execute("PRAGMA synchronous = OFF")  # a batch job: speed over durability
    try:
        conn.execute("DELETE FROM invoices WHERE month = ?", (month,))
        conn.commit()
        ids = [row[0] for row in conn.execute("SELECT id FROM customers ORDER BY id")]
        invoices = [invoicing.generate_invoice(conn, customer, month, url) for customer in ids]
        invoicing.write_report(invoices, month)
    finally:
        conn.close()
        rates_service.stop(service)
    total = sum(invoice["amount"] for invoice in invoices)
    print(f"{month}: {len(invoices)} invoices, {total:.2f} in mixed currencies")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "2024-03")
