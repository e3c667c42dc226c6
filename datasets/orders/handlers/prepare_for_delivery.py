"""PrepareForDelivery: packs the item."""
import json
import sys


def lambda_handler(event, context):
    item = event["item"]
    return {
        "status": "PREPARED",
        "packageId": "pkg-%s-%d" % (event["orderId"], event["index"]),
        "sku": item["sku"],
        "quantity": item["quantity"],
    }


if __name__ == "__main__":
    print(json.dumps(lambda_handler(json.load(sys.stdin), None)))
