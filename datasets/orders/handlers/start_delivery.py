"""StartDelivery: hands the package to the carrier."""
import json
import sys


def lambda_handler(event, context):
    delivery = event["delivery"]
    return {
        "status": "IN_TRANSIT",
        "packageId": delivery["packageId"],
        "trackingNumber": "TRK-" + delivery["packageId"].upper(),
    }


if __name__ == "__main__":
    print(json.dumps(lambda_handler(json.load(sys.stdin), None)))
