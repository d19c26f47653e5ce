# scoring.py -- turns model output into rows for the CRM export
import csv
import datetime

THRESHOLD = 0.5
FIELDS = ["id", "score", "label", "scored_at"]


def score_batch(model, X, ids):
    probs = model.predict_proba(X)
    preds = []
    for i in range(len(ids)):
        p = float(probs[i])
        preds.append({
            "id": ids[i],
            "score": p,
            "label": "churn" if p >= THRESHOLD else "stay",
            "scored_at": datetime.datetime.now().isoformat(),   # CRM wants to know when
        })
    return preds


def write_predictions(preds, path):
    f = open(path, "w", newline="")
    w = csv.DictWriter(f, fieldnames=FIELDS)
    w.writeheader()
    for p in preds:
        row = dict(p)
        row["score"] = "%.6f" % p["score"]
        w.writerow(row)
    f.close()
    return len(preds)
