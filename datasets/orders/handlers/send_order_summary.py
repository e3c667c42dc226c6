"""SendOrderSummary: builds the summary sent to the customer."""
import json
import sys


def lambda_handler(event, context):
    shipped, unavailable = [], []
    for r in event["items"]:
        if r.get("status") == "UNAVAILABLE":
            unavailable.append({"sku": r["item"]["sku"], "reason": r["reason"]})
        else:
            shipped.append({"sku": r["item"]["sku"], "trackingNumber": r["delivery"]["trackingNumber"]})
    return {
        "orderId": event["orderId"],
        "to": event["customer"]["email"],
        "transactionId": event["payment"]["transactionId"],
        "status": "PARTIALLY_SHIPPED" if unavailable else "SHIPPED",
        "shipped": shipped,
        "unavailable": unavailable,
    }


if __name__ == "__main__":
    print(json.dumps(lambda_handler(json.load(sys.stdin), None)))
